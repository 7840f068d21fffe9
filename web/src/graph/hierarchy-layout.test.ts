import { describe, expect, it } from 'vitest';
import { hierarchyPositions, rankNodes } from './hierarchy-layout.ts';

// db <- lib <- svc1, svc2 <- web ; lib -> util (lib depends on util)
const nodes = ['db', 'lib', 'svc1', 'svc2', 'web', 'util'];
const edges = [
  { source: 'lib', target: 'db' },
  { source: 'svc1', target: 'lib' },
  { source: 'svc2', target: 'lib' },
  { source: 'web', target: 'svc1' },
  { source: 'lib', target: 'util' },
];

describe('rankNodes', () => {
  it('puts dependents below the root and dependencies above, one rank per hop', () => {
    const r = rankNodes(nodes, edges, 'lib');
    expect(Object.fromEntries(r)).toEqual({ lib: 0, db: -1, util: -1, svc1: 1, svc2: 1, web: 2 });
  });

  it('ranks what is reached neither way by the direction of its edge', () => {
    // 'other' depends on db, which is above the root: it sits one rank below db.
    const r = rankNodes([...nodes, 'other'], [...edges, { source: 'other', target: 'db' }], 'lib');
    expect(r.get('other')).toBe(0);
  });

  it('ranks a graph without root from its busiest node', () => {
    const r = rankNodes(nodes, edges);
    expect(r.get('lib')).toBe(0);
    expect(r.size).toBe(nodes.length);
  });
});

describe('hierarchyPositions', () => {
  it('draws ranks top to bottom with the root at y = 0', () => {
    const p = hierarchyPositions(nodes, edges, { root: 'lib' });
    expect(p.get('lib')!.y).toBe(0);
    expect(p.get('db')!.y).toBeLessThan(0);
    expect(p.get('svc1')!.y).toBeGreaterThan(0);
    expect(p.get('web')!.y).toBeGreaterThan(p.get('svc1')!.y);
    expect(p.get('svc1')!.y).toBe(p.get('svc2')!.y);
  });

  it('wraps a crowded rank into rows instead of one strip', () => {
    const many = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const p = hierarchyPositions(
      ['root', ...many],
      many.map((s) => ({ source: s, target: 'root' })),
      {
        root: 'root',
        maxPerRow: 20,
      },
    );
    const ys = new Set(many.map((s) => p.get(s)!.y));
    const xs = many.map((s) => p.get(s)!.x);
    expect(ys.size).toBe(5);
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(21 * 90);
    // No two nodes on one spot.
    expect(new Set(many.map((s) => `${p.get(s)!.x},${p.get(s)!.y}`)).size).toBe(100);
  });

  it('places children under their parent (fewer crossings)', () => {
    const n = ['r', 'a', 'b', 'a1', 'b1'];
    const e = [
      { source: 'a', target: 'r' },
      { source: 'b', target: 'r' },
      { source: 'b1', target: 'b' },
      { source: 'a1', target: 'a' },
    ];
    const p = hierarchyPositions(n, e, { root: 'r' });
    expect(Math.sign(p.get('a1')!.x - p.get('b1')!.x)).toBe(Math.sign(p.get('a')!.x - p.get('b')!.x));
  });
});
