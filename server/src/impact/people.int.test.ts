import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoEntities } from '../demo/demo-organisation.ts';
import type { Entity } from '../demo/types.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Issue 17: the analyst's question on the demo organisation (sdlc pack, the demo's generator and
// seed with the Order example in it, 100 services instead of 300 to keep the load short on a busy
// machine; Core Kafka is the example's and the organisation's one library): "if Core Kafka
// ships a breaking change, which services, teams and on-call people are affected within 4 hops?"
// — one REST call and one GraphQL query, checked against the answer computed here in plain
// TypeScript from the same generated data.
let px: TestPlexus;
let org: Entity[];
let prefix: string;
let kafka: string;

const values = (e: Entity, relation: string): string[] => {
  const v = e.relations[relation];
  return v == null ? [] : Array.isArray(v) ? v : [v];
};
/** `blueprint:identifier` of a relation value, given the relation's single target blueprint. */
const refOf = (v: string, target: string) => (v.includes(':') ? v : `${target}:${v}`);

/** The expected answer: dependants over the dependency relations, their owners, those teams' on-calls. */
function expectedAnswer(depth: number) {
  const dependants = new Map<string, string[]>();
  const targets: Record<string, string> = { dependsOnRuntime: 'cloudResource', dependsOnStorage: 'cloudResource' };
  for (const e of org) {
    for (const relation of ['dependsOn', 'dependsOnRuntime', 'dependsOnStorage']) {
      for (const v of values(e, relation)) {
        const k = refOf(v, targets[relation] ?? 'library');
        dependants.set(k, [...(dependants.get(k) ?? []), `${e.blueprint}:${e.identifier}`]);
      }
    }
  }
  const seen = new Set([`library:${kafka}`]);
  let frontier = [...seen];
  for (let d = 0; d < depth; d++) {
    frontier = frontier.flatMap((f) => (dependants.get(f) ?? []).filter((s) => !seen.has(s) && seen.add(s)));
  }
  seen.delete(`library:${kafka}`);
  const byKey = new Map(org.map((e) => [`${e.blueprint}:${e.identifier}`, e]));
  const affected = [...seen].map((k) => byKey.get(k) as Entity);
  const teams = new Set(affected.flatMap((e) => values(e, 'ownedBy')));
  const onCall = org.filter((e) => e.blueprint === 'person' && values(e, 'onCallFor').some((t) => teams.has(t)));
  return {
    services: affected.filter((e) => e.blueprint === 'service').map((e) => e.identifier).sort(),
    libraries: affected.filter((e) => e.blueprint === 'library').map((e) => e.identifier).sort(),
    teams: [...teams].sort(),
    onCall: onCall.map((e) => e.identifier).sort(),
  };
}

beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  prefix = `${uniqueId('ana')}-`;
  // Prefix every identifier so this organisation never meets another test's data.
  const p = (v: string) => (/^[a-z][a-zA-Z]*:/.test(v) ? v.replace(':', `:${prefix}`) : `${prefix}${v}`);
  org = [...demoEntities({ services: 100, seed: 7 })].map((e) => ({
    ...e,
    identifier: `${prefix}${e.identifier}`,
    relations: Object.fromEntries(Object.entries(e.relations).map(([k, v]) => [k, Array.isArray(v) ? v.map(p) : p(v)])),
  }));
  const loaded = await px.call('POST', '/api/v1/entities/bulk', { entities: org });
  expect(loaded.status, JSON.stringify(loaded.body).slice(0, 500)).toBe(200);
  kafka = `${prefix}core-kafka`;
}, 600_000);

afterAll(async () => {
  await px?.close();
});

const sorted = (list: { identifier: string }[]) => list.map((e) => e.identifier).sort();

async function gql(query: string, variables?: Record<string, unknown>) {
  const r = await px.call('POST', '/graphql', { query, variables });
  return r.body as { data?: any; errors?: { message: string }[] };
}

/** Waits until the served schema has the fields of this branch (schemas build off the request path). */
async function schemaReady() {
  await vi.waitFor(
    async () => {
      const r = await gql('{ __type(name: "Library") { fields { name } } }');
      const fields = (r.data?.__type?.fields ?? []).map((f: { name: string }) => f.name);
      expect(fields).toContain('reachable');
      const person = await gql('{ __type(name: "Person") { fields { name } } }');
      expect((person.data?.__type?.fields ?? []).map((f: { name: string }) => f.name)).toContain('onCallFor');
    },
    { timeout: 240_000, interval: 500 },
  );
}

describe('impact to people', () => {
  it('answers the analyst in one REST call: the services, teams and on-call people within 4 hops of Core Kafka', async () => {
    const expected = expectedAnswer(4);
    expect(expected.services.length).toBeGreaterThan(10);
    expect(expected.onCall.length).toBeGreaterThan(0);
    const r = await px.call('GET', `/api/v1/blueprints/library/entities/${kafka}/impact?depth=4&include=owners,members,oncall`);
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    expect(r.body.root).toMatchObject({ identifier: kafka, blueprint: 'library', title: 'Core Kafka' });
    // Only the dependency relations are followed: no pipelines, deployments or incidents.
    const byBlueprint = (bp: string) => r.body.nodes.filter((n: { blueprint: string }) => n.blueprint === bp);
    expect(Object.keys(r.body.summary.byBlueprint).sort()).toEqual(['library', 'service']);
    expect(sorted(byBlueprint('service'))).toEqual(expected.services);
    expect(sorted(byBlueprint('library'))).toEqual(expected.libraries);
    expect(r.body.summary.byBlueprint).toEqual({ service: expected.services.length, library: expected.libraries.length });
    expect(sorted(r.body.summary.teams)).toEqual(expected.teams);
    expect(sorted(r.body.summary.onCall)).toEqual(expected.onCall);
    // Per entity: its owners, its owners' members and on-call, and the path it is reached by.
    const byId = new Map(org.map((e) => [e.identifier, e]));
    for (const n of r.body.nodes) {
      expect(sorted(n.owners)).toEqual(values(byId.get(n.identifier) as Entity, 'ownedBy').sort());
      for (const p of n.onCall) expect(values(byId.get(p.identifier) as Entity, 'onCallFor')).toEqual(expect.arrayContaining([n.owners[0].identifier]));
      for (const m of n.members) expect(values(byId.get(m.identifier) as Entity, 'memberOf').some((t) => n.owners.some((o: { identifier: string }) => o.identifier === t))).toBe(true);
      expect(n.path).toHaveLength(n.distance + 1);
      expect(n.path[0]).toBe(`library:${kafka}`);
      expect(n.path.at(-1)).toBe(`${n.blueprint}:${n.identifier}`);
    }
    // Every team counts the affected entities it owns; people say whether they are on call.
    const owned = (team: string) => r.body.nodes.filter((n: { owners: { identifier: string }[] }) => n.owners.some((o) => o.identifier === team)).length;
    for (const t of r.body.summary.teams) expect(t.entities).toBe(owned(t.identifier));
    const onCallPeople = r.body.summary.people.filter((p: { onCall: boolean }) => p.onCall);
    expect(sorted(onCallPeople)).toEqual(expected.onCall);
  });

  it('answers the analyst in one GraphQL query, selecting from the typed affected entities', async () => {
    await schemaReady();
    const expected = expectedAnswer(4);
    const r = await gql(
      /* GraphQL */ `
        query ($id: String!) {
          impact(blueprint: "library", identifier: $id, depth: 4, include: ["owners", "oncall"]) {
            nodes {
              distance
              path
              entity {
                __typename
                identifier
                ... on Service {
                  ownedBy { identifier onCall { identifier } }
                }
              }
            }
            summary { byBlueprint teams { identifier entities } onCall { identifier } }
          }
        }
      `,
      { id: kafka },
    );
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const nodes = r.data.impact.nodes as { distance: number; path: string[]; entity: any }[];
    const services = nodes.filter((n) => n.entity.__typename === 'Service');
    expect(services.map((n) => n.entity.identifier).sort()).toEqual(expected.services);
    const serviceTeams = new Set(services.flatMap((n) => n.entity.ownedBy.map((t: { identifier: string }) => t.identifier)));
    const libraryTeams = expectedAnswer(4).libraries.flatMap((l) => values(org.find((e) => e.identifier === l) as Entity, 'ownedBy'));
    expect([...new Set([...serviceTeams, ...libraryTeams])].sort()).toEqual(expected.teams);
    const serviceOnCall = services.flatMap((n) => n.entity.ownedBy.flatMap((t: { onCall: { identifier: string }[] }) => t.onCall.map((p) => p.identifier)));
    expect(expected.onCall).toEqual(expect.arrayContaining([...new Set(serviceOnCall)]));
    expect(sorted(r.data.impact.summary.teams)).toEqual(expected.teams);
    expect(sorted(r.data.impact.summary.onCall)).toEqual(expected.onCall);
    expect(r.data.impact.summary.byBlueprint).toEqual({ service: expected.services.length, library: expected.libraries.length });
    for (const n of nodes) expect(n.path).toHaveLength(n.distance + 1);
  }, 300_000);

  it('asks a k-hop question with the reachable field, and aggregates in GraphQL', async () => {
    await schemaReady();
    const r = await gql(
      /* GraphQL */ `
        query ($id: String!, $request: JSON!) {
          libraries(where: { identifier: { eq: $id } }) {
            reachable(relations: ["dependsOn"], direction: INCOMING, depth: 2, blueprint: "service", limit: 1000) {
              identifier
              ... on Service { tier ownedBy { identifier } }
            }
          }
          aggregate(request: $request) {
            total
            groups { key count }
          }
        }
      `,
      {
        id: kafka,
        request: { impact: { blueprint: 'library', identifier: kafka, depth: 2, relations: ['dependsOn'] }, blueprint: 'service', groupBy: 'property:tier', sort: 'key' },
      },
    );
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const impact = await px.call('GET', `/api/v1/blueprints/library/entities/${kafka}/impact?depth=2&relations=dependsOn`);
    const services = impact.body.nodes.filter((n: { blueprint: string }) => n.blueprint === 'service');
    const reached = r.data.libraries[0].reachable as { identifier: string; tier: number; ownedBy: { identifier: string }[] }[];
    expect(sorted(reached)).toEqual(sorted(services));
    const byId = new Map(org.map((e) => [e.identifier, e]));
    for (const s of reached) {
      expect(s.tier).toBe(byId.get(s.identifier)?.properties.tier);
      expect(s.ownedBy.map((t) => t.identifier)).toEqual(values(byId.get(s.identifier) as Entity, 'ownedBy'));
    }
    expect(r.data.aggregate.total).toBe(services.length);
    const tiers = new Map<number, number>();
    for (const s of reached) tiers.set(s.tier, (tiers.get(s.tier) ?? 0) + 1);
    expect(r.data.aggregate.groups).toEqual([...tiers].sort((a, b) => a[0] - b[0]).map(([key, count]) => ({ key, count })));
  }, 300_000);

  it('refuses a reachable depth over 6 and an unknown relation with clear messages', async () => {
    await schemaReady();
    const deep = await gql('query ($id: String!) { libraries(where: { identifier: { eq: $id } }) { reachable(depth: 7) { identifier } } }', { id: kafka });
    expect(deep.errors?.[0].message).toMatch(/depth must be an integer from 1 to 6/);
    const unknown = await gql('query ($id: String!) { libraries(where: { identifier: { eq: $id } }) { reachable(relations: ["dependsOnn"]) { identifier } } }', { id: kafka });
    expect(unknown.errors?.[0].message).toMatch(/unknown relation "dependsOnn"/);
  }, 300_000);

  it('explicit relations still win over the dependency default', async () => {
    const r = await px.call('GET', `/api/v1/blueprints/library/entities/${kafka}/impact?depth=1&relations=dependsOn`);
    expect(r.status).toBe(200);
    const direct = org.filter((e) => values(e, 'dependsOn').some((v) => v === `library:${kafka}` || v === kafka));
    expect(sorted(r.body.nodes)).toEqual(direct.map((e) => e.identifier).sort());
    // Without include, no people fields.
    expect(r.body.nodes[0].owners).toBeUndefined();
    expect(r.body.summary.teams).toEqual([]);
  });

  it('refuses an unknown include with a message naming the known ones', async () => {
    const r = await px.call('GET', `/api/v1/blueprints/library/entities/${kafka}/impact?include=owners,managers`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/include "managers" is not known.*owners, members, oncall/);
  });

  it('aggregates teams by number of dependent services in one call', async () => {
    const expected = expectedAnswer(4);
    const r = await px.call('POST', '/api/v1/search/aggregate', {
      impact: { blueprint: 'library', identifier: kafka, depth: 4 },
      blueprint: 'service',
      groupBy: 'relation:ownedBy',
      metrics: ['count', 'avg:tier', 'min:tier'],
      limit: 5,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.total).toBe(expected.services.length);
    const byId = new Map(org.map((e) => [e.identifier, e]));
    const counts = new Map<string, number>();
    for (const s of expected.services) for (const t of values(byId.get(s) as Entity, 'ownedBy')) counts.set(t, (counts.get(t) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    expect(r.body.groups.map((g: { key: string; count: number }) => [g.key, g.count])).toEqual(top);
    expect(r.body.groups[0]).toMatchObject({ blueprint: 'team', title: expect.any(String) });
    expect(typeof r.body.groups[0]['avg:tier']).toBe('number');
  });

  it('finds the services within 3 hops of Core Kafka with one reachable rule', async () => {
    const r = await px.call('POST', '/api/v1/search', {
      blueprint: 'service',
      rules: [
        { property: 'identifier', operator: 'beginsWith', value: prefix },
        { reachable: { relations: ['dependsOn'], direction: 'outgoing', depth: 3, blueprint: 'library', identifier: kafka } },
      ],
      limit: 1000,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const impact = await px.call('GET', `/api/v1/blueprints/library/entities/${kafka}/impact?depth=3&relations=dependsOn`);
    const services = impact.body.nodes.filter((n: { blueprint: string }) => n.blueprint === 'service');
    expect(sorted(r.body.entities)).toEqual(sorted(services));
  });
});
