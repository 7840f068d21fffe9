import { Neo4jGraphQL } from '@neo4j/graphql';
import { pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId, waitFor, waitForGraphqlType } from '../test-support.ts';

let px: TestPlexus;
let res: string;
let svc: string;
let team: string;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

async function gql(query: string, variables?: Record<string, unknown>) {
  const r = await px.call('POST', '/graphql', { query, variables });
  return r.body as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

beforeAll(async () => {
  px = await startTestPlexus();
  res = uniqueId('res');
  svc = uniqueId('svc');
  team = uniqueId('team');
  await px.call('POST', '/api/v1/blueprints', {
    identifier: team,
    title: 'Team',
    schema: { properties: {} },
  });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: res,
    title: 'Resource',
    schema: { properties: { kind: { type: 'string' } } },
  });
  const s = await px.call('POST', '/api/v1/blueprints', {
    identifier: svc,
    title: 'Service',
    schema: {
      properties: {
        language: { type: 'string' },
        tier: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    },
    relations: {
      dependsOnRuntime: { target: res, many: true, inverse: 'runtimeDependencyOf' },
      dependsOnStorage: { target: res, many: true },
      ownedBy: { target: team },
    },
  });
  expect(s.status).toBe(201);
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: team, identifier: 'payments' },
      { blueprint: res, identifier: 'cart-cluster', properties: { kind: 'k8s' } },
      { blueprint: res, identifier: 'cart-db', properties: { kind: 'postgres' } },
      {
        blueprint: svc,
        identifier: 'cart',
        title: 'Cart',
        properties: { language: 'ts', tier: 1, tags: ['shop'] },
        relations: { dependsOnRuntime: ['cart-cluster'], dependsOnStorage: ['cart-db'], ownedBy: 'payments' },
      },
      {
        blueprint: svc,
        identifier: 'products',
        properties: { language: 'go', tier: 2 },
        relations: { dependsOnRuntime: ['cart-cluster'], ownedBy: 'payments' },
      },
    ],
  });
  await waitForGraphqlType(px, cap(svc));
});
afterAll(async () => {
  await px?.close();
});

describe('generated GraphQL API', () => {
  it("passes @neo4j/graphql's compatibility check against the embedded Neo4j (APOC present)", async () => {
    const neo = new Neo4jGraphQL({ typeDefs: 'type Probe @node { id: ID }', driver: px.services.db.driver });
    await expect(neo.checkNeo4jCompat()).resolves.toBeUndefined();
  });

  it('serves a blueprint created through REST without a restart', async () => {
    const id = uniqueId('fresh');
    await px.call('POST', '/api/v1/blueprints', {
      identifier: id,
      title: 'Fresh',
      schema: { properties: { colour: { type: 'string' } } },
    });
    await px.call('POST', `/api/v1/blueprints/${id}/entities`, {
      identifier: 'f1',
      properties: { colour: 'red' },
    });
    await waitForGraphqlType(px, cap(id));
    const r = await gql(`{ ${pluralFieldOf(id)} { identifier colour } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data[`${pluralFieldOf(id)}`]).toEqual([{ identifier: 'f1', colour: 'red' }]);
  });

  it('lists entities with typed property fields, filters and sorting', async () => {
    const r = await gql(
      `{ ${pluralFieldOf(svc)}(where: { tier: { lte: 2 } }, sort: [{ identifier: DESC }]) { identifier title language tier tags } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[`${pluralFieldOf(svc)}`]).toEqual([
      { identifier: 'products', title: null, language: 'go', tier: 2, tags: null },
      { identifier: 'cart', title: 'Cart', language: 'ts', tier: 1, tags: ['shop'] },
    ]);
  });

  it('keeps two relations between the same two blueprints distinct', async () => {
    const r = await gql(
      `{ ${pluralFieldOf(svc)}(where: { identifier: { eq: "cart" } }) { dependsOnRuntime { identifier } dependsOnStorage { identifier } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[`${pluralFieldOf(svc)}`][0]).toEqual({
      dependsOnRuntime: [{ identifier: 'cart-cluster' }],
      dependsOnStorage: [{ identifier: 'cart-db' }],
    });
  });

  it('follows relations in both directions, with named and default inverse fields', async () => {
    const r = await gql(
      `{ ${pluralFieldOf(res)}(sort: [{ identifier: ASC }]) { identifier runtimeDependencyOf(sort: [{ identifier: ASC }]) { identifier } ${pluralFieldOf(svc)}DependsOnStorage { identifier } } ${pluralFieldOf(team)} { ${pluralFieldOf(svc)}OwnedBy(sort: [{ identifier: ASC }]) { identifier } } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[`${pluralFieldOf(res)}`]).toEqual([
      {
        identifier: 'cart-cluster',
        runtimeDependencyOf: [{ identifier: 'cart' }, { identifier: 'products' }],
        [`${pluralFieldOf(svc)}DependsOnStorage`]: [],
      },
      {
        identifier: 'cart-db',
        runtimeDependencyOf: [],
        [`${pluralFieldOf(svc)}DependsOnStorage`]: [{ identifier: 'cart' }],
      },
    ]);
    expect(r.data[`${pluralFieldOf(team)}`][0][`${pluralFieldOf(svc)}OwnedBy`]).toEqual([
      { identifier: 'cart' },
      { identifier: 'products' },
    ]);
  });

  it('filters on related entities (services whose storage includes a given resource)', async () => {
    const r = await gql(
      `{ ${pluralFieldOf(svc)}(where: { dependsOnStorage: { some: { identifier: { eq: "cart-db" } } } }) { identifier } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data[`${pluralFieldOf(svc)}`]).toEqual([{ identifier: 'cart' }]);
  });

  it('has no generated create/update/delete mutations', async () => {
    const r = await gql('{ __type(name: "Mutation") { fields { name } } }');
    const names = r.data.__type.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['upsertEntities', 'deleteEntities']));
    expect(names.filter((n: string) => n.toLowerCase().includes(svc.toLowerCase()))).toEqual([]);
  });

  it('writes through upsertEntities and deleteEntities with the REST validation rules', async () => {
    const ok = await gql(
      `mutation($e: [EntityInput!]!) { upsertEntities(entities: $e) { created updated results { identifier status } } }`,
      {
        e: [
          {
            blueprint: svc,
            identifier: 'gql-made',
            properties: { language: 'go' },
            relations: { ownedBy: 'payments' },
          },
        ],
      },
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data.upsertEntities).toEqual({
      created: 1,
      updated: 0,
      results: [{ identifier: 'gql-made', status: 'created' }],
    });
    const rest = await px.call('GET', `/api/v1/blueprints/${svc}/entities/gql-made`);
    expect(rest.body.relations.ownedBy).toBe('payments');
    expect(rest.body.meta.sources).toEqual(['graphql']);

    const bad = await gql(`mutation($e: [EntityInput!]!) { upsertEntities(entities: $e) { created } }`, {
      e: [{ blueprint: svc, identifier: 'gql-bad', properties: { tier: 'x' } }],
    });
    expect(bad.errors?.[0].extensions?.code).toBe('validation_failed');
    expect((bad.errors?.[0].extensions?.details as { index: number }[])[0].index).toBe(0);

    const del = await gql(
      `mutation { deleteEntities(entities: [{ blueprint: "${svc}", identifier: "gql-made" }]) { deleted } }`,
    );
    expect(del.data.deleteEntities.deleted).toBe(1);
    expect((await px.call('GET', `/api/v1/blueprints/${svc}/entities/gql-made`)).status).toBe(404);
  });

  it('queries across blueprints through the Entity interface', async () => {
    const r = await gql(
      `{ entities(where: { identifier: { in: ["cart", "cart-db"] } }, sort: [{ identifier: ASC }]) { identifier _blueprint } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.entities).toEqual(
      expect.arrayContaining([
        { identifier: 'cart', _blueprint: svc },
        { identifier: 'cart-db', _blueprint: res },
      ]),
    );
  });

  it('finishes requests in flight on the old schema while a new one is swapped in', async () => {
    const before = px.services.schemas.current()!;
    const id = uniqueId('swap');
    const inflight = gql(`{ ${pluralFieldOf(svc)}(where: { identifier: { eq: "cart" } }) { identifier } }`);
    await px.call('POST', '/api/v1/blueprints', {
      identifier: id,
      title: 'Swap',
      schema: { properties: {} },
    });
    const r = await inflight;
    expect(r.data[`${pluralFieldOf(svc)}`]).toEqual([{ identifier: 'cart' }]);
    await waitForGraphqlType(px, cap(id));
    expect(px.services.schemas.current()!.version).toBeGreaterThan(before.version);
  });

  it('answers 503 for requests in flight when a GraphQL worker dies, then serves again from a new one', async () => {
    const { schemas } = px.services;
    await schemas.ready();
    const query = `{ ${pluralFieldOf(svc)}(where: { identifier: { eq: "cart" } }) { identifier } }`;
    let answer: Awaited<ReturnType<TestPlexus['call']>> | null = null;
    // Catch a request while a worker holds it (it may answer first on a fast machine: try again).
    for (let attempt = 0; attempt < 20 && !answer; attempt++) {
      const sent = px.call('POST', '/graphql', { query });
      let done = false;
      void sent.finally(() => {
        done = true;
      });
      while (!done && !schemas.workers().some((w) => w.inflight > 0))
        await new Promise((ok) => setImmediate(ok));
      if (done) continue;
      await schemas.killWorker(schemas.workers().findIndex((w) => w.inflight > 0));
      answer = await sent;
    }
    expect(answer?.status).toBe(503);
    expect(answer?.body.error.code).toBe('service_unavailable');
    // Another worker starts, builds the schema and answers.
    const r = await waitFor(
      'a new worker to answer',
      async () => {
        const r = await px.call('POST', '/graphql', { query });
        return r.status === 200 ? r : undefined;
      },
      180_000,
    );
    expect(r.body.data[pluralFieldOf(svc)]).toEqual([{ identifier: 'cart' }]);
  }, 240_000);
});
