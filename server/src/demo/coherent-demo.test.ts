import type { RelationDef } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { readPack } from '../model/packs.ts';
import { readDemoActions } from './actions/demo-actions.ts';
import { demoEntities, generateDemoBatches } from './demo-organisation.ts';
import { orderExampleEntities } from './order-example.ts';
import type { Entity } from './types.ts';

// Issue 18, item 6: the demo is one organisation in one model. The Order example and the
// generated organisation use the same sdlc kinds, share Core Kafka, and point at each other, so
// exploring from the Cart service leads into the organisation. Checked on the demo as `npm start`
// loads it (seed 7, 300 services) and on the small one the browser tests seed (12 services).

const sdlc = readPack('sdlc');
const blueprints = new Map(sdlc.blueprints.map((bp) => [bp.identifier, bp]));
const targetsOf = (rel: RelationDef) => (Array.isArray(rel.target) ? rel.target : [rel.target]);
const key = (e: Entity) => `${e.blueprint}:${e.identifier}`;

/** `blueprint:identifier` of every target of `e`'s relations, read the way the server reads them. */
function targets(e: Entity, only?: (rel: RelationDef) => boolean): { relation: string; target: string }[] {
  const out: { relation: string; target: string }[] = [];
  for (const [relation, value] of Object.entries(e.relations)) {
    const rel = blueprints.get(e.blueprint)?.relations?.[relation];
    if (!rel) throw new Error(`${key(e)}: ${e.blueprint} has no relation ${relation}`);
    if (only && !only(rel)) continue;
    const kinds = targetsOf(rel);
    for (const ref of Array.isArray(value) ? value : [value]) {
      const colon = ref.indexOf(':');
      const prefixed = colon > 0 && kinds.includes(ref.slice(0, colon));
      out.push({ relation, target: prefixed ? ref : `${kinds[0]}:${ref}` });
    }
  }
  return out;
}

const isDependency = (rel: RelationDef) => rel.role === 'dependency';

/** Everything reachable from `start` over dependency relations, in one direction. */
function walk(entities: Entity[], start: string, direction: 'downstream' | 'upstream'): Set<string> {
  const edges = new Map<string, string[]>();
  for (const e of entities) {
    for (const { target } of targets(e, isDependency)) {
      const [from, to] = direction === 'downstream' ? [key(e), target] : [target, key(e)];
      edges.set(from, [...(edges.get(from) ?? []), to]);
    }
  }
  const seen = new Set<string>();
  let frontier = [start];
  while (frontier.length > 0) {
    frontier = frontier.flatMap((k) => (edges.get(k) ?? []).filter((t) => !seen.has(t) && seen.add(t)));
  }
  seen.delete(start);
  return seen;
}

for (const services of [300, 12]) {
  describe(`the demo with ${services} services`, () => {
    const entities = [...demoEntities({ seed: 7, services })];
    const exampleKeys = new Set(orderExampleEntities().map(key));
    const find = (k: string) => entities.find((e) => key(e) === k);

    it('uses only sdlc blueprints, so the sidebar has no Component, Group or User', () => {
      expect(entities.filter((e) => !blueprints.has(e.blueprint)).map(key)).toEqual([]);
      // Every kind of the pack has entities: no kind in the sidebar is empty.
      expect(new Set(entities.map((e) => e.blueprint))).toEqual(new Set(blueprints.keys()));
    });

    it('holds every entity of the Order example once, and each entity once', () => {
      const keys = entities.map(key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const k of exampleKeys) expect(keys, k).toContain(k);
    });

    it('has exactly one Core Kafka: the generated library, with the example’s description and owner', () => {
      const kafkas = entities.filter((e) => e.identifier === 'core-kafka');
      expect(kafkas.map(key)).toEqual(['library:core-kafka']);
      expect(kafkas[0]).toMatchObject({
        title: 'Core Kafka',
        properties: {
          description: 'Kafka producer and consumer with the company defaults.',
          language: 'java',
        },
        relations: { ownedBy: 'platform-team' },
      });
      // Its package name follows its language, as for every generated library.
      expect(kafkas[0].properties.packageName).toBe('com.acme:core-kafka');
    });

    it('points every relation at an entity of the demo', () => {
      const keys = new Set(entities.map(key));
      const missing = entities.flatMap((e) =>
        targets(e)
          .filter((t) => !keys.has(t.target))
          .map((t) => `${key(e)}.${t.relation} → ${t.target}`),
      );
      expect(missing).toEqual([]);
    });

    it('lists every relation target before the entities that point at it', () => {
      const seen = new Set<string>();
      const late: string[] = [];
      for (const e of entities) {
        for (const t of targets(e))
          if (!seen.has(t.target)) late.push(`${key(e)}.${t.relation} → ${t.target}`);
        seen.add(key(e));
      }
      expect(late).toEqual([]);
    });

    it('makes the Cart service a service whose dependencies lead into the generated organisation', () => {
      expect(find('service:cart-service')?.title).toBe('Cart Service');
      const downstream = [...walk(entities, 'service:cart-service', 'downstream')];
      const generated = downstream.filter((k) => !exampleKeys.has(k));
      expect(generated).toContain('library:core-kafka');
      expect(generated.length).toBeGreaterThan(1);
    });

    it('has generated services that depend on the Cart service and consume the Cart API', () => {
      const upstream = [...walk(entities, 'service:cart-service', 'upstream')];
      const generated = upstream.filter((k) => !exampleKeys.has(k));
      expect(generated.length).toBeGreaterThan(0);
      const direct = entities.filter(
        (e) => !exampleKeys.has(key(e)) && targets(e).some((t) => t.target === 'service:cart-service'),
      );
      expect(direct.length).toBeGreaterThan(0);
      expect(direct.length).toBeLessThanOrEqual(4);
      for (const e of direct) expect(e.relations.consumesApis, key(e)).toEqual(['cart-api']);
    });

    it('hangs the example’s teams under the generated engineering team, with someone on call for each', () => {
      for (const team of ['order-team', 'platform-team']) {
        expect(find(`team:${team}`)?.relations.parent).toBe('engineering');
        expect(
          entities.filter((e) => e.blueprint === 'person' && e.relations.onCallFor === team),
        ).not.toHaveLength(0);
      }
    });
  });
}

describe('the demo as data', () => {
  it('has starter actions only for kinds of the sdlc pack', () => {
    const actions = readDemoActions();
    expect(actions.length).toBeGreaterThan(0);
    expect(
      actions.filter((a) => a.blueprint && !blueprints.has(a.blueprint)).map((a) => a.identifier),
    ).toEqual([]);
  });

  it('is the same for the same options and differs with the seed', () => {
    const once = [...demoEntities({ seed: 7, services: 60 })];
    expect([...demoEntities({ seed: 7, services: 60 })]).toEqual(once);
    expect([...demoEntities({ seed: 8, services: 60 })]).not.toEqual(once);
  });

  it('comes in batches of the asked size, in the same order', () => {
    const batches = [...generateDemoBatches({ seed: 7, services: 60 }, 50)];
    expect(batches.slice(0, -1).every((b) => b.length === 50)).toBe(true);
    expect(batches.flat()).toEqual([...demoEntities({ seed: 7, services: 60 })]);
    expect(() => generateDemoBatches({}, 0).next()).toThrow(RangeError);
  });
});
