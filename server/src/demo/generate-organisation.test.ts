import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  countRelationships,
  generateOrganisation,
  generateOrganisationBatches,
  planOrganisation,
} from './generate-organisation.ts';
import type { Entity } from './types.ts';

interface SdlcPack {
  blueprints: { identifier: string; relations?: Record<string, { target: string | string[] }> }[];
}

const sdlc = parse(readFileSync(new URL('../../../packs/sdlc.yaml', import.meta.url), 'utf8')) as SdlcPack;
const relationTargets = new Map(
  sdlc.blueprints.map((bp) => [
    bp.identifier,
    new Map(
      Object.entries(bp.relations ?? {}).map(([n, r]) => [
        n,
        Array.isArray(r.target) ? r.target : [r.target],
      ]),
    ),
  ]),
);

/** Each relation value of an entity as `blueprint:identifier`, resolved through the sdlc pack. */
function* targetKeys(e: Entity): Generator<[relation: string, key: string]> {
  for (const [name, value] of Object.entries(e.relations)) {
    const targets = relationTargets.get(e.blueprint)?.get(name);
    if (!targets) throw new Error(`${e.blueprint}.${name} is not an sdlc relation`);
    for (const ref of Array.isArray(value) ? value : [value]) {
      yield [name, targets.length > 1 ? ref : `${targets[0]}:${ref}`];
    }
  }
}

const keyOf = (e: Entity) => `${e.blueprint}:${e.identifier}`;

describe('generateOrganisation', () => {
  const small = generateOrganisation({ seed: 42, services: 400 }).entities;

  it('returns the same organisation for the same seed', () => {
    expect(generateOrganisation({ seed: 42, services: 400 }).entities).toEqual(small);
  });

  it('returns a different organisation for a different seed', () => {
    const other = generateOrganisation({ seed: 43, services: 400 }).entities;
    expect(other.length).toBe(small.length);
    expect(other).not.toEqual(small);
  });

  it('uses a fixed reference time by default', () => {
    const later = generateOrganisation({
      seed: 42,
      services: 400,
      referenceTime: '2025-06-01T00:00:00.000Z',
    });
    expect(later.entities).toEqual(small);
  });

  it('dates its timestamps relative to the reference time', () => {
    const { entities } = generateOrganisation({ services: 50, referenceTime: '2030-01-01T00:00:00.000Z' });
    const incident = entities.find((e) => e.blueprint === 'incident');
    expect(String(incident?.properties.openedAt) >= '2029-').toBe(true);
  });

  it('generates every blueprint of the sdlc pack but domain, system and api (the Order example brings those)', () => {
    const exampleOnly = ['domain', 'system', 'api'];
    expect(new Set(small.map((e) => e.blueprint))).toEqual(
      new Set(sdlc.blueprints.map((bp) => bp.identifier).filter((id) => !exampleOnly.includes(id))),
    );
  });

  it('generates as many entities of each blueprint as the plan says', () => {
    const counts: Record<string, number> = {};
    for (const e of small) counts[e.blueprint] = (counts[e.blueprint] ?? 0) + 1;
    expect(counts).toEqual(planOrganisation({ services: 400 }));
  });

  it('gives every entity an identifier unique within its blueprint', () => {
    const keys = small.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('points every relation at an entity it generated', () => {
    const keys = new Set(small.map(keyOf));
    const dangling: string[] = [];
    for (const e of small) {
      for (const [name, key] of targetKeys(e))
        if (!keys.has(key)) dangling.push(`${keyOf(e)}.${name} → ${key}`);
    }
    expect(dangling).toEqual([]);
  });

  it('writes targets of polymorphic relations as blueprint:identifier', () => {
    const polymorphic = small.flatMap((e) =>
      [...(relationTargets.get(e.blueprint) ?? [])]
        .filter(([name, targets]) => targets.length > 1 && e.relations[name] !== undefined)
        .flatMap(([name, targets]) => {
          const value = e.relations[name];
          return (Array.isArray(value) ? value : [value]).map((ref) => ({ ref, targets }));
        }),
    );
    expect(polymorphic.length).toBeGreaterThan(0);
    const bad = polymorphic.filter(({ ref, targets }) => !targets.includes(ref.slice(0, ref.indexOf(':'))));
    expect(bad).toEqual([]);
  });

  it('lists every relation target before the entity that points at it', () => {
    const seen = new Set<string>();
    const late: string[] = [];
    for (const e of small) {
      for (const [name, key] of targetKeys(e)) if (!seen.has(key)) late.push(`${keyOf(e)}.${name} → ${key}`);
      seen.add(keyOf(e));
    }
    expect(late).toEqual([]);
  });

  it('keeps runtime and storage dependencies on different kinds of cloud resource', () => {
    const typeOf = new Map(
      small.filter((e) => e.blueprint === 'cloudResource').map((e) => [e.identifier, e.properties.type]),
    );
    const runtime = new Set<unknown>();
    const storage = new Set<unknown>();
    for (const e of small.filter((x) => x.blueprint === 'service')) {
      for (const id of (e.relations.dependsOnRuntime as string[] | undefined) ?? [])
        runtime.add(typeOf.get(id));
      for (const id of (e.relations.dependsOnStorage as string[] | undefined) ?? [])
        storage.add(typeOf.get(id));
    }
    expect([...runtime].filter((t) => storage.has(t))).toEqual([]);
    expect(storage).toContain('database');
  });

  it('deploys each service through the pipeline that builds it', () => {
    const builtBy = new Map<string, string>();
    for (const p of small.filter((e) => e.blueprint === 'pipeline')) {
      for (const s of p.relations.builds as string[]) builtBy.set(s, p.identifier);
    }
    const mismatched = small
      .filter((e) => e.blueprint === 'deployment')
      .filter((d) => builtBy.get(d.relations.deploys as string) !== d.relations.deployedBy);
    expect(mismatched.map((d) => d.identifier)).toEqual([]);
  });

  it('has every service built by exactly one pipeline', () => {
    const builds = small
      .filter((e) => e.blueprint === 'pipeline')
      .flatMap((p) => p.relations.builds as string[]);
    const services = small.filter((e) => e.blueprint === 'service').map((e) => e.identifier);
    expect(builds.sort()).toEqual(services.sort());
  });

  it('assigns an incident to the team owning the service it affects first', () => {
    const owner = new Map(
      small.filter((e) => e.blueprint === 'service').map((e) => [e.identifier, e.relations.ownedBy]),
    );
    const wrong = small
      .filter((e) => e.blueprint === 'incident')
      .filter((i) => owner.get((i.relations.affects as string[])[0]) !== i.relations.assignedTo);
    expect(wrong.map((i) => i.identifier)).toEqual([]);
  });

  it('generates an organisation with a single service', () => {
    const { entities } = generateOrganisation({ services: 1 });
    expect(entities.filter((e) => e.blueprint === 'service')).toHaveLength(1);
    const keys = new Set(entities.map(keyOf));
    for (const e of entities) for (const [, key] of targetKeys(e)) expect(keys.has(key), key).toBe(true);
  });

  it('rejects a service count that is not a positive integer', () => {
    expect(() => generateOrganisation({ services: 0 })).toThrow(RangeError);
    expect(() => generateOrganisation({ services: 2.5 })).toThrow(RangeError);
  });

  it('rejects a reference time that is not a date', () => {
    expect(() => generateOrganisation({ referenceTime: 'yesterday' })).toThrow(RangeError);
  });

  // Generates the full benchmark organisation: seconds on a busy 2-core machine, beyond vitest's default 5 s.
  it('produces about 100k entities and 300k relationships at the benchmark size', { timeout: 120_000 }, () => {
    const { entities } = generateOrganisation({ services: 25_000 });
    expect(entities.length).toBe(100_211);
    expect(countRelationships(entities)).toBeGreaterThan(290_000);
    expect(countRelationships(entities)).toBeLessThan(320_000);
  });
});

describe('planOrganisation', () => {
  it('scales every count from the number of services', () => {
    expect(planOrganisation({ services: 800 })).toEqual({
      environment: 3,
      team: 100,
      person: 160,
      cloudResource: 800,
      library: 267,
      service: 800,
      pipeline: 200,
      deployment: 200,
      alert: 160,
      incident: 200,
      vulnerability: 160,
      permission: 160,
    });
  });
});

describe('generateOrganisationBatches', () => {
  it('yields the whole organisation, in order, in batches of the given size', () => {
    const batches = [...generateOrganisationBatches({ seed: 5, services: 120 }, 100)];
    expect(batches.slice(0, -1).every((b) => b.length === 100)).toBe(true);
    expect(batches.at(-1)?.length).toBeGreaterThan(0);
    expect(batches.at(-1)?.length).toBeLessThanOrEqual(100);
    expect(batches.flat()).toEqual(generateOrganisation({ seed: 5, services: 120 }).entities);
  });

  it('rejects a batch size below one', () => {
    expect(() => generateOrganisationBatches({}, 0).next()).toThrow(RangeError);
  });
});

describe('countRelationships', () => {
  it('counts one relationship per relation target', () => {
    const entities: Entity[] = [
      {
        identifier: 'a',
        blueprint: 'service',
        properties: {},
        relations: { ownedBy: 't', dependsOn: ['service:b', 'library:c'] },
      },
      { identifier: 'b', blueprint: 'service', properties: {}, relations: { dependsOn: [] } },
      { identifier: 'c', blueprint: 'library', properties: {}, relations: {} },
    ];
    expect(countRelationships(entities)).toBe(3);
  });
});
