import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrganisation } from '../demo/generate-organisation.ts';
import type { Entity } from '../demo/types.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// The three questions of issue 5, asked on a generated organisation in one request each, in
// REST and in GraphQL, and checked against answers computed here in plain TypeScript.
let px: TestPlexus;
let org: Entity[];
let prefix: string;

const targetsOf = (e: Entity, relation: string): string[] => {
  const v = e.relations[relation];
  return v == null ? [] : Array.isArray(v) ? v : [v];
};
const key = (bp: string, id: string) => `${bp}:${id}`;
/** Relation value → blueprint:identifier key (plain identifiers belong to the single target). */
const refKey = (value: string, single: string) => (value.includes(':') && /^[a-z][a-zA-Z]*:/.test(value) ? value : key(single, value));

beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  prefix = `${uniqueId('q')}-`;
  const raw = generateOrganisation({ services: 120, seed: 11 }).entities;
  // Prefix every identifier so this file's organisation never meets another test's data.
  const p = (v: string) => (/^[a-z][a-zA-Z]*:/.test(v) ? v.replace(':', `:${prefix}`) : `${prefix}${v}`);
  org = raw.map((e) => ({
    ...e,
    identifier: `${prefix}${e.identifier}`,
    relations: Object.fromEntries(Object.entries(e.relations).map(([k, v]) => [k, Array.isArray(v) ? v.map(p) : p(v)])),
  }));
  const res = await px.call('POST', '/api/v1/entities/bulk', { entities: org });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await px?.close();
});

async function gql(query: string, variables?: Record<string, unknown>) {
  const r = await px.call('POST', '/graphql', { query, variables });
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
}

describe('which services have open incidents', () => {
  const expected = () =>
    new Set(
      org
        .filter((e) => e.blueprint === 'incident' && ['triggered', 'acknowledged'].includes(e.properties.status as string))
        .flatMap((e) => targetsOf(e, 'affects')),
    );
  const search = () => ({
    blueprint: 'service',
    rules: [
      { property: 'identifier', operator: 'beginsWith', value: prefix },
      { relation: 'affects', direction: 'incoming', blueprint: 'incident', rules: [{ property: 'status', operator: 'in', value: ['triggered', 'acknowledged'] }] },
    ],
    limit: 1000,
  });

  it('answers in one REST request', async () => {
    const res = await px.call('POST', '/api/v1/search', search());
    expect(res.status).toBe(200);
    const got = new Set(res.body.entities.map((e: { identifier: string }) => e.identifier));
    expect(expected().size).toBeGreaterThan(5);
    expect(got).toEqual(expected());
  });

  it('answers in one GraphQL request, through the generated filters and through findEntities', async () => {
    const data = await gql(
      `query($p: String!) {
        services(where: { identifier: { startsWith: $p }, incidents: { some: { status: { in: ["triggered", "acknowledged"] } } } }) { identifier }
      }`,
      { p: prefix },
    );
    expect(new Set(data.services.map((s: { identifier: string }) => s.identifier))).toEqual(expected());
    const found = await gql('query($s: JSON!) { findEntities(search: $s) { entities { identifier blueprint } next } }', { s: search() });
    expect(new Set(found.findEntities.entities.map((s: { identifier: string }) => s.identifier))).toEqual(expected());
  });
});

describe('blast radius of a database over dependsOn* relations to depth 5', () => {
  const relations = ['dependsOn', 'dependsOnRuntime', 'dependsOnStorage'];
  let database: string;
  const expected = () => {
    // Reverse edges of the chosen relations, then breadth-first from the database.
    const dependents = new Map<string, string[]>();
    for (const e of org) {
      for (const rel of relations) {
        const single = e.blueprint === 'library' ? 'library' : rel === 'dependsOn' ? 'service' : 'cloudResource';
        for (const t of targetsOf(e, rel)) {
          const target = refKey(t, single);
          dependents.set(target, [...(dependents.get(target) ?? []), key(e.blueprint, e.identifier)]);
        }
      }
    }
    const distance = new Map<string, number>();
    let frontier = [key('cloudResource', database)];
    for (let d = 1; d <= 5; d++) {
      const next: string[] = [];
      for (const k of frontier) for (const dep of dependents.get(k) ?? []) if (!distance.has(dep) && dep !== key('cloudResource', database)) {
        distance.set(dep, d);
        next.push(dep);
      }
      frontier = next;
    }
    return distance;
  };

  beforeAll(() => {
    // The database with the most direct dependents makes the most interesting radius.
    const counts = new Map<string, number>();
    for (const e of org) for (const t of [...targetsOf(e, 'dependsOnStorage'), ...targetsOf(e, 'dependsOnRuntime')]) counts.set(t, (counts.get(t) ?? 0) + 1);
    const dbs = org.filter((e) => e.blueprint === 'cloudResource' && e.properties.type === 'database').map((e) => e.identifier);
    database = dbs.sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0];
  });

  it('answers in one REST request with distances and the edges between the nodes', async () => {
    const res = await px.call('GET', `/api/v1/blueprints/cloudResource/entities/${encodeURIComponent(database)}/impact?direction=downstream&relations=${relations.join(',')}&depth=5`);
    expect(res.status).toBe(200);
    const want = expected();
    expect(want.size).toBeGreaterThan(1);
    const got = new Map(res.body.nodes.map((n: { blueprint: string; identifier: string; distance: number }) => [key(n.blueprint, n.identifier), n.distance]));
    expect(got).toEqual(want);
    const nodeKeys = new Set([key('cloudResource', database), ...want.keys()]);
    for (const e of res.body.edges) {
      expect(nodeKeys.has(e.source) && nodeKeys.has(e.target)).toBe(true);
      expect(relations).toContain(e.relation);
    }
    expect(res.body.edges.length).toBeGreaterThanOrEqual(want.size);
  });

  it('answers in one GraphQL request, as a root field and as a field of the entity', async () => {
    const data = await gql(
      `query($id: String!, $rels: [String!]) {
        impact(blueprint: "cloudResource", identifier: $id, direction: DOWNSTREAM, relations: $rels, depth: 5) { nodes { identifier blueprint distance } }
        cloudResources(where: { identifier: { eq: $id } }) { impact(relations: $rels, depth: 5) { nodes { identifier blueprint distance } } }
      }`,
      { id: database, rels: relations },
    );
    const toMap = (nodes: { blueprint: string; identifier: string; distance: number }[]) => new Map(nodes.map((n) => [key(n.blueprint, n.identifier), n.distance]));
    expect(toMap(data.impact.nodes)).toEqual(expected());
    expect(toMap(data.cloudResources[0].impact.nodes)).toEqual(expected());
  });
});

describe('teams owning services that depend transitively on a library with a critical vulnerability', () => {
  const expected = () => {
    const vulnerable = new Set(
      org
        .filter((e) => e.blueprint === 'vulnerability' && e.properties.severity === 'critical')
        .flatMap((e) => targetsOf(e, 'affects'))
        .filter((t) => t.startsWith('library:'))
        .map((t) => t.slice('library:'.length)),
    );
    const byKey = new Map(org.map((e) => [key(e.blueprint, e.identifier), e]));
    // Services whose dependsOn chain (through services and libraries, up to 5 hops) reaches one.
    const reaches = (start: Entity): boolean => {
      let frontier = [start];
      const seen = new Set<string>();
      for (let d = 1; d <= 5; d++) {
        const next: Entity[] = [];
        for (const e of frontier) {
          for (const t of targetsOf(e, 'dependsOn')) {
            const k = refKey(t, e.blueprint === 'library' ? 'library' : 'service');
            if (seen.has(k)) continue;
            seen.add(k);
            if (k.startsWith('library:') && vulnerable.has(k.slice('library:'.length))) return true;
            const next1 = byKey.get(k);
            if (next1) next.push(next1);
          }
        }
        frontier = next;
      }
      return false;
    };
    return new Set(org.filter((e) => e.blueprint === 'service' && reaches(e)).flatMap((e) => targetsOf(e, 'ownedBy')));
  };
  const search = () => ({
    blueprint: 'team',
    rules: [
      { property: 'identifier', operator: 'beginsWith', value: prefix },
      {
        relation: 'ownedBy',
        direction: 'incoming',
        blueprint: 'service',
        rules: [
          {
            relation: 'dependsOn',
            direction: 'outgoing',
            depth: 5,
            blueprint: 'library',
            rules: [{ relation: 'affects', direction: 'incoming', blueprint: 'vulnerability', rules: [{ property: 'severity', operator: '=', value: 'critical' }] }],
          },
        ],
      },
    ],
    limit: 1000,
  });

  it('answers in one REST request', async () => {
    const res = await px.call('POST', '/api/v1/search', search());
    expect(res.status).toBe(200);
    expect(expected().size).toBeGreaterThan(0);
    expect(new Set(res.body.entities.map((e: { identifier: string }) => e.identifier))).toEqual(expected());
  });

  it('answers in one GraphQL request', async () => {
    const data = await gql('query($s: JSON!) { findEntities(search: $s) { entities { identifier } } }', { s: search() });
    expect(new Set(data.findEntities.entities.map((e: { identifier: string }) => e.identifier))).toEqual(expected());
  });
});

describe('full-text search', () => {
  it('ranks exact matches first, tolerates a typo and filters by blueprint', async () => {
    const service = org.find((e) => e.blueprint === 'service' && typeof e.title === 'string')!;
    const word = service.identifier;
    const res = await px.call('GET', `/api/v1/search?q=${encodeURIComponent(word)}&limit=5`);
    expect(res.status).toBe(200);
    expect(res.body.entities[0]).toMatchObject({ identifier: service.identifier, blueprint: 'service' });
    const lastWord = (service.title as string).split(/\s+/).filter((w) => w.length >= 5).pop();
    if (lastWord) {
      const typo = `${lastWord.slice(0, -2)}${lastWord.slice(-1)}${lastWord.slice(-2, -1)}`;
      const fuzzy = await px.call('GET', `/api/v1/search?q=${encodeURIComponent(`${prefix} ${typo}`)}&blueprint=service&limit=50`);
      expect(fuzzy.body.entities.length).toBeGreaterThan(0);
      expect(fuzzy.body.entities.every((e: { blueprint: string }) => e.blueprint === 'service')).toBe(true);
    }
  });

  it('finds entities by the value of a string property', async () => {
    const id = uniqueId('ft');
    const bp = uniqueId('ftbp');
    await px.call('POST', '/api/v1/blueprints', { identifier: bp, title: 'FT', schema: { properties: { owner: { type: 'string' } } } });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: id, properties: { owner: 'zanzibarquartet' } });
    const res = await px.call('GET', '/api/v1/search?q=zanzibarquartet');
    expect(res.body.entities.map((e: { identifier: string }) => e.identifier)).toContain(id);
    const gq = await gql('{ search(q: "zanzibarquartet") { identifier blueprint score } }');
    expect(gq.search[0]).toMatchObject({ identifier: id, blueprint: bp });
  });

  it('answers 400 without q and treats query syntax as plain words', async () => {
    expect((await px.call('GET', '/api/v1/search')).status).toBe(400);
    const res = await px.call('GET', `/api/v1/search?q=${encodeURIComponent('*:* OR identifier:"x" )(')}`);
    expect(res.status).toBe(200);
  });
});

describe('injection attempts', () => {
  it('fail with a clear error and change nothing', async () => {
    const [before] = (await px.call('POST', '/api/v1/search', { blueprint: 'service', rules: [{ property: 'identifier', operator: 'beginsWith', value: prefix }], limit: 1000 })).body.entities.length === 0 ? [0] : [1];
    const attempts = [
      { blueprint: 'service', rules: [{ property: 'tier` = 1 DETACH DELETE n //', operator: '=', value: 1 }] },
      { blueprint: 'service', rules: [{ relation: 'OWNED_BY]->() DETACH DELETE n //', direction: 'outgoing' }] },
      { blueprint: 'Service) DETACH DELETE (n', rules: [] },
      { blueprint: 'service', rules: [{ property: 'identifier', operator: '= 1 OR 1', value: 'x' }] },
    ];
    for (const body of attempts) {
      const res = await px.call('POST', '/api/v1/search', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
    const value = await px.call('POST', '/api/v1/search', { blueprint: 'service', rules: [{ property: 'identifier', operator: '=', value: "x' OR 1=1 DETACH DELETE n //" }] });
    expect(value.status).toBe(200);
    expect(value.body.entities).toEqual([]);
    const impact = await px.call('GET', `/api/v1/blueprints/service/entities/x/impact?relations=${encodeURIComponent('OWNED_BY|DEPENDS_ON]-() DETACH DELETE n //')}`);
    expect(impact.status).toBe(400);
    const after = (await px.call('POST', '/api/v1/search', { blueprint: 'service', rules: [{ property: 'identifier', operator: 'beginsWith', value: prefix }], limit: 1000 })).body.entities;
    expect(before).toBe(1);
    expect(after.length).toBe(org.filter((e) => e.blueprint === 'service').length);
  });
});
