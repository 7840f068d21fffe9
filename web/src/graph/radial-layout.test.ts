import { describe, expect, it } from 'vitest';
import { radialPositions } from './radial-layout.ts';

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);

describe('radialPositions', () => {
  it('puts the root in the centre and each hop on a wider ring', () => {
    // root - a - a1, root - b; c hangs off a1 (3 hops).
    const edges = [
      { source: 'a', target: 'root' },
      { source: 'root', target: 'b' },
      { source: 'a1', target: 'a' },
      { source: 'c', target: 'a1' },
    ];
    const pos = radialPositions(['root', 'a', 'b', 'a1', 'c'], edges, { root: 'root', spacing: 50 });
    const origin = { x: 0, y: 0 };
    expect(pos.get('root')).toEqual(origin);
    const r = (id: string) => dist(pos.get(id)!, origin);
    expect(r('a')).toBeCloseTo(r('b'));
    expect(r('a1')).toBeGreaterThan(r('a') + 49);
    expect(r('c')).toBeGreaterThan(r('a1') + 49);
  });

  it('keeps every node apart, on a graph of 2,000 nodes and 6,000 edges', { timeout: 30_000 }, () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `n${i}`);
    const edges: { source: string; target: string }[] = [];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 1; i < ids.length; i++) edges.push({ source: ids[i], target: ids[Math.floor(rnd() * i)] });
    while (edges.length < 6000) edges.push({ source: ids[Math.floor(rnd() * 2000)], target: ids[Math.floor(rnd() * 2000)] });
    const pos = radialPositions(ids, edges, { spacing: 40 });
    expect(pos.size).toBe(2000);
    // No two nodes on the same spot: bucket by rounded position.
    const spots = new Set([...pos.values()].map((p) => `${Math.round(p.x)}:${Math.round(p.y)}`));
    expect(spots.size).toBe(2000);
    for (const p of pos.values()) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
  });

  it('lays out separate components side by side without overlap, and ignores unknown ends', () => {
    const pos = radialPositions(
      ['a', 'b', 'c', 'd', 'lonely'],
      [
        { source: 'a', target: 'b' },
        { source: 'c', target: 'd' },
        { source: 'c', target: 'ghost' },
      ],
      { root: 'a', spacing: 40 },
    );
    expect(pos.get('a')).toEqual({ x: 0, y: 0 });
    const all = [...pos.values()];
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(dist(all[i], all[j])).toBeGreaterThan(39);
    expect(pos.has('ghost')).toBe(false);
  });
});
