import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Cypher from '@neo4j/cypher-builder';
import { describe, expect, it } from 'vitest';
import { type SlotValue, cypherDir, cypherFragment, cypherInt, cypherName, loadQuery } from './query-loader.ts';

function cypherFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? cypherFiles(join(dir, e.name)) : e.name.endsWith('.cypher') ? [join(dir, e.name)] : [],
  );
}

const include = /^include\(([a-z-]+\/[a-z0-9-]+)\)$/;
const slot = /^[a-z][A-Za-z0-9]*$/;

describe('the .cypher files', () => {
  const files = cypherFiles(cypherDir);

  it('are found', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files.map((f) => [relative(cypherDir, f), f]))('%s uses only $$include(area/name)$$ and $$slot$$ markers', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('##');
    // Pair the $$ signs up: every pair must hold an include of an existing file or a slot name.
    const pieces = text.split('$$');
    expect(pieces.length % 2, 'an odd number of $$').toBe(1);
    for (let i = 1; i < pieces.length; i += 2) {
      const inner = pieces[i] as string;
      const included = include.exec(inner);
      if (included) expect(existsSync(join(cypherDir, `${included[1]}.cypher`)), `$$${inner}$$ names no file`).toBe(true);
      else expect(inner, `$$${inner}$$ is neither an include nor a slot name`).toMatch(slot);
    }
  });
});

describe('loadQuery', () => {
  it('fills includes once, at load, and their slots with the query', () => {
    const q = loadQuery('audit/list-events');
    expect(q).not.toContain('$$');
    expect(q).toContain(loadQuery('audit/event-filters'));
  });

  it('quotes a name through escapeName', () => {
    expect(loadQuery('model/count-entities', { label: cypherName('Service') })).toBe('MATCH (n:`Service`) RETURN count(n) AS count');
  });

  it('fills the same slot everywhere it is used', () => {
    const yes = cypherFragment(new Cypher.Literal(true));
    const q = loadQuery('impact/walk', { visibleRoot: yes, visibleB: yes, depth: cypherInt(4, { max: 6 }) });
    expect(q.match(/\{1,4\}/g)).toHaveLength(2);
    expect(q).not.toContain('$$');
  });

  it('refuses a name with a backtick, naming the file and the slot', () => {
    expect(() => loadQuery('model/count-entities', { label: cypherName('Service`) DETACH DELETE (n') })).toThrow(
      'query model/count-entities, slot $$label$$: refusing to use "Service`) DETACH DELETE (n" as a Cypher name',
    );
  });

  it('writes an integer in its range', () => {
    const q = loadQuery('impact/paths', {
      depth: cypherInt(6, { min: 1, max: 10 }),
      visibleA: cypherFragment(Cypher.true),
      visibleB: cypherFragment(Cypher.true),
      visibleY: cypherFragment(Cypher.true),
    });
    expect(q).toContain('WHERE true)){1,6}(b)');
  });

  it.each([
    [11, 'got 11'],
    [0, 'got 0'],
    [2.5, 'got 2.5'],
    [Number.NaN, 'got NaN'],
  ])('refuses the integer %s outside its range, naming the file and the slot', (value, got) => {
    const slots = { depth: cypherInt(value, { min: 1, max: 10 }), visibleRoot: cypherFragment(Cypher.true), visibleB: cypherFragment(Cypher.true) };
    expect(() => loadQuery('impact/walk', slots)).toThrow(`query impact/walk, slot $$depth$$ needs an integer from 1 to 10, ${got}`);
  });

  it('renders a cypher-builder fragment in parentheses, its parameters left to the caller', () => {
    const n = new Cypher.NamedVariable('n');
    const visible = cypherFragment(Cypher.or(Cypher.in(n.property('_blueprint'), new Cypher.NamedParam('all')), Cypher.eq(n.property('team'), new Cypher.NamedParam('team'))));
    expect(loadQuery('auth/visible-refs', { visibleN: visible })).toMatchInlineSnapshot(`
      "UNWIND $refs AS r
      MATCH (n:Entity {identifier: r.identifier}) WHERE n._blueprint = r.blueprint AND ((n._blueprint IN $all OR n.team = $team))
      RETURN r.blueprint AS blueprint, r.identifier AS identifier"
    `);
  });

  it('names the file and the slot when a slot has no value', () => {
    expect(() => loadQuery('impact/walk', { depth: cypherInt(3, { max: 10 }), visibleRoot: cypherFragment(Cypher.true) })).toThrow(
      'query impact/walk, slot $$visibleB$$ has no value',
    );
  });

  it('names the file and the slot when a value fills no slot', () => {
    expect(() => loadQuery('model/count-relationships', { label: cypherName('A'), type: cypherName('T'), target: cypherName('B') })).toThrow(
      'query model/count-relationships has no slot $$target$$ (its slots are label, type); remove "target"',
    );
    expect(() => loadQuery('catalog/read-entities', { label: cypherName('A') })).toThrow('query catalog/read-entities has no slot $$label$$ (it has no slots)');
  });

  it('refuses a plain string where a typed value is required, naming the file and the slot', () => {
    const raw = { label: 'Service) DETACH DELETE (n' } as unknown as Record<string, SlotValue>;
    expect(() => loadQuery('model/count-entities', raw)).toThrow(
      'query model/count-entities, slot $$label$$ got the plain string "Service) DETACH DELETE (n"; wrap it in cypherName, cypherInt or cypherFragment',
    );
  });

  it('refuses a look-alike of a slot value', () => {
    const fake = { label: { filling: { kind: 'name', name: 'Service' } } } as unknown as Record<string, SlotValue>;
    expect(() => loadQuery('model/count-entities', fake)).toThrow('query model/count-entities, slot $$label$$ got an object that no slot constructor made');
  });
});
