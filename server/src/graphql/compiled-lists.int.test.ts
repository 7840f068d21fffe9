import { labelOf, pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId, waitForGraphqlType } from '../test-support.ts';

/**
 * Compiled list reads (compiled-lists.ts) against the library path they stand in for: every query
 * is sent as written and again with `@include(if: true)` on its root field, which means the same
 * but always goes to graphql-yoga and @neo4j/graphql; status, media type and data must be equal,
 * and the server's counters say which path answered.
 */
let px: TestPlexus;
const svc = uniqueId('csvc');
const team = uniqueId('cteam');
const secret = uniqueId('csec');
const owned = uniqueId('cown');
const S = pluralFieldOf(svc);
const T = pluralFieldOf(team);
const tokens: Record<string, string> = {};

type Answer = { status: number; type: string | null; body: any };

async function post(
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string; operationName?: string; accept?: string } = {},
): Promise<Answer> {
  const r = await px.call(
    'POST',
    '/graphql',
    { query, variables, operationName: options.operationName },
    { token: options.token, headers: options.accept ? { accept: options.accept } : {} },
  );
  return { status: r.status, type: r.headers.get('content-type'), body: r.body };
}

/** Nested lists (relations) in a stable order: their order is the database's on both paths. */
function canonical(value: unknown, keepOrder: boolean): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, false));
    return keepOrder ? items : items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v, false)]));
  }
  return value;
}

/**
 * Sends `query` (ROOT marks where the root field's directives go) both ways and compares;
 * returns the compiled path's answer and whether it was compiled.
 */
async function both(
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string; operationName?: string; accept?: string; ordered?: boolean } = {},
): Promise<{ answer: Answer; compiled: boolean }> {
  const before = px.services.schemas.answered();
  const answer = await post(query.replaceAll('ROOT', ''), variables, options);
  const middle = px.services.schemas.answered();
  const library = await post(query.replaceAll('ROOT', '@include(if: true)'), variables, options);
  const after = px.services.schemas.answered();
  expect(after.library - middle.library, 'the @include variant goes to the library').toBe(1);
  expect(answer.status).toBe(library.status);
  expect(answer.type).toBe(library.type);
  const data = (a: Answer) => (a.body?.data ? Object.values(a.body.data)[0] : undefined);
  expect(canonical(data(answer), options.ordered ?? false)).toEqual(
    canonical(data(library), options.ordered ?? false),
  );
  expect(answer.body?.errors?.map((e: { message: string }) => e.message)).toEqual(
    library.body?.errors?.map((e: { message: string }) => e.message),
  );
  return { answer, compiled: middle.compiled - before.compiled === 1 };
}

beforeAll(async () => {
  px = await startTestPlexus();
  const blueprints = [
    { identifier: team, title: 'Team', schema: { properties: { size: { type: 'integer' } } } },
    {
      identifier: secret,
      title: 'Secret',
      schema: { properties: { codename: { type: 'string' } } },
      permissions: {
        read: { roles: ['admin'] },
        create: { roles: ['admin'] },
        update: { roles: ['admin'] },
        delete: { roles: ['admin'] },
      },
    },
    {
      identifier: owned,
      title: 'Owned',
      schema: { properties: { note: { type: 'string' } } },
      relations: { ownedBy: { target: team } },
      permissions: { read: { roles: ['member'], owners: true } },
    },
    {
      identifier: svc,
      title: 'Service',
      schema: {
        properties: {
          language: { type: 'string' },
          tier: { type: 'integer' },
          score: { type: 'number' },
          active: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' } },
          ports: { type: 'array', items: { type: 'integer' } },
          settings: { type: 'object' },
        },
      },
      relations: {
        ownedBy: { target: team, inverse: 'ownedServices' },
        dependsOn: { target: svc, many: true },
        keeps: { target: secret, many: true },
        about: { target: [team, owned], many: true },
      },
    },
  ];
  for (const b of blueprints) {
    const r = await px.call('POST', '/api/v1/blueprints', b);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  const services = Array.from({ length: 14 }, (_, i) => ({
    blueprint: svc,
    identifier: `s-${String(i).padStart(2, '0')}`,
    ...(i % 5 === 4 ? {} : { title: `Service ${i}` }),
    properties: {
      ...(i % 4 === 3 ? {} : { language: ['ts', 'go', 'java'][i % 3] }),
      tier: 1 + (i % 3),
      score: i / 4,
      active: i % 2 === 0,
      tags: i % 3 === 0 ? [] : ['shop', `t${i}`],
      ports: [8000 + i],
      settings: { n: i, nested: { ok: i % 2 === 0 } },
    },
    relations: {
      ...(i % 6 === 5 ? {} : { ownedBy: `t-${i % 3}` }),
      dependsOn: i === 0 ? [] : [`s-${String(i - 1).padStart(2, '0')}`, ...(i > 3 ? ['s-00'] : [])],
      keeps: i % 2 === 0 ? ['k-1'] : [],
      about: i % 4 === 0 ? [`${team}:t-0`, `${owned}:o-a`] : [],
    },
  }));
  const bulk = await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      ...[0, 1, 2].map((i) => ({
        blueprint: team,
        identifier: `t-${i}`,
        title: `Team ${i}`,
        properties: { size: 3 + i },
      })),
      { blueprint: secret, identifier: 'k-1', properties: { codename: 'x' } },
      { blueprint: owned, identifier: 'o-a', properties: { note: 'a' }, relations: { ownedBy: 't-0' } },
      { blueprint: owned, identifier: 'o-b', properties: { note: 'b' }, relations: { ownedBy: 't-1' } },
      ...services,
    ],
  });
  expect(bulk.status).toBe(200);
  expect(
    (await px.call('POST', '/api/v1/users', { id: `cv-${svc}`, role: 'viewer', teams: ['t-0'] })).status,
  ).toBe(201);
  const viewer = await px.call('POST', '/api/v1/tokens', { name: 'cv', role: 'viewer', user: `cv-${svc}` });
  expect(viewer.status).toBe(201);
  tokens.viewer = viewer.body.token;
  await waitForGraphqlType(px, labelOf(svc));
});
afterAll(async () => {
  await px?.close();
});

describe('compiled GraphQL lists', () => {
  it('answer lists like the library: fields, filters, order, pages and relations', async () => {
    const all = `identifier title language tier score active tags ports settings _blueprint _createdAt _updatedAt _sources __typename`;
    const cases: { query: string; variables?: Record<string, unknown>; ordered?: boolean; rows?: number }[] =
      [
        { query: `{ ${S} ROOT { identifier title } }`, rows: 14 },
        { query: `{ ${S} ROOT { ${all} } }`, rows: 14 },
        {
          query: `query L($tier: Int!) { ${S}(where: { tier: { eq: $tier } }, limit: 3, sort: [{ identifier: ASC }]) ROOT { identifier title tier ownedBy { identifier title } dependsOn { identifier } } }`,
          variables: { tier: 2 },
          ordered: true,
          rows: 3,
        },
        {
          query: `query L($langs: [String!]) { list: ${S}(where: { language: { in: $langs } }, sort: [{ tier: DESC }, { identifier: ASC }], offset: 2, limit: 4) ROOT { id: identifier t: tier ownedBy { __typename identifier size } } }`,
          variables: { langs: ['go', 'ts'] },
          ordered: true,
          rows: 4,
        },
        {
          query: `{ ${S}(where: { identifier: { eq: "s-03" } }) ROOT { identifier dependsOn { identifier dependsOn { identifier } } } }`,
          rows: 1,
        },
        {
          query: `{ ${S}(where: { active: { eq: false }, tier: { in: [1, 3] } }, sort: [{ title: DESC }, { identifier: DESC }]) ROOT { identifier active tier title } }`,
          ordered: true,
        },
        { query: `{ ${S}(where: { score: { eq: 0.5 } }) ROOT { identifier score } }`, rows: 1 },
        { query: `{ ${S}(where: {}, limit: 0, offset: 0) ROOT { identifier } }`, rows: 0 },
        {
          query: `{ ${T}(sort: [{ identifier: ASC }]) ROOT { identifier size ownedServices { identifier ownedBy { identifier } } } }`,
          ordered: true,
          rows: 3,
        },
        { query: `{ ${S}(where: { language: { eq: "cobol" } }) ROOT { identifier } }`, rows: 0 },
      ];
    for (const c of cases) {
      const { answer, compiled } = await both(c.query, c.variables, { ordered: c.ordered });
      expect(compiled, c.query).toBe(true);
      expect(answer.status, c.query).toBe(200);
      const rows = Object.values(answer.body.data)[0] as unknown[];
      if (c.rows !== undefined) expect(rows, c.query).toHaveLength(c.rows);
    }
    // Spot checks of the values themselves, beyond agreeing with the library.
    const { answer } = await both(
      `{ ${S}(where: { identifier: { in: ["s-04", "s-05"] } }, sort: [{ identifier: ASC }]) ROOT { identifier title tags settings ports ownedBy { identifier } dependsOn { identifier } } }`,
      undefined,
      { ordered: true },
    );
    const [s4, s5] = answer.body.data[S];
    expect(s4).toMatchObject({
      identifier: 's-04',
      title: null,
      ports: [8004],
      ownedBy: [{ identifier: 't-1' }],
    });
    expect(JSON.parse(s4.settings)).toEqual({ n: 4, nested: { ok: true } });
    expect(s4.dependsOn.map((d: { identifier: string }) => d.identifier).sort()).toEqual(['s-00', 's-03']);
    expect(s5).toMatchObject({ identifier: 's-05', title: 'Service 5', ownedBy: [], tags: ['shop', 't5'] });
  });

  it('chooses among operations by operationName and answers in the media type yoga would', async () => {
    const doc = `query A { ${S}(limit: 1, sort: [{ identifier: ASC }]) ROOT { identifier } } query B { ${T}(sort: [{ identifier: DESC }]) ROOT { identifier } }`;
    const b = await both(doc, undefined, { operationName: 'B', ordered: true });
    expect(b.compiled).toBe(true);
    expect(b.answer.body.data[T].map((t: { identifier: string }) => t.identifier)).toEqual([
      't-2',
      't-1',
      't-0',
    ]);
    for (const accept of ['*/*', 'application/json']) {
      const r = await both(`{ ${S}(limit: 2) ROOT { identifier } }`, undefined, { accept });
      expect(r.compiled, accept).toBe(true);
      expect(r.answer.type).toMatch(/^application\/json/);
    }
    // Other media types are yoga's to negotiate.
    const other = await both(`{ ${S}(limit: 2) ROOT { identifier } }`, undefined, {
      accept: 'application/graphql-response+json',
    });
    expect(other.compiled).toBe(false);
  });

  it('leaves every other shape to the library, which answers it as before', async () => {
    const cases = [
      `{ ${S}(where: { tier: { gt: 1 } }) ROOT { identifier } }`,
      `{ ${S}(where: { OR: [{ tier: { eq: 1 } }, { tier: { eq: 2 } }] }) ROOT { identifier } }`,
      `{ ${S}(where: { tags: { includes: "shop" } }) ROOT { identifier } }`,
      `{ ${S} ROOT { identifier dependsOn(limit: 1, sort: [{ identifier: ASC }]) { identifier } } }`,
      `{ ${S} ROOT { identifier about { ... on ${labelOf(team)} { identifier } } } }`,
      `{ ${S} ROOT { identifier scorecards { scorecard } } }`,
      `{ ${S} ROOT { ...F } } fragment F on ${labelOf(svc)} { identifier }`,
      `{ ${S} ROOT { identifier } ${T} { identifier } }`,
      `{ ${S} ROOT { identifier identifier } }`,
      `{ ${S}(where: { ownedBy: { some: { identifier: { eq: "t-0" } } } }) ROOT { identifier } }`,
    ];
    for (const query of cases) {
      const { answer, compiled } = await both(query);
      expect(compiled, query).toBe(false);
      expect(answer.status, query).toBe(200);
    }
    // Variables graphql-js refuses, and documents over the limits: the library's errors.
    const bad = await both(
      `query L($tier: Int!) { ${S}(where: { tier: { eq: $tier } }) ROOT { identifier } }`,
      { tier: 'one' },
    );
    expect(bad.compiled).toBe(false);
    expect(JSON.stringify(bad.answer.body)).toMatch(/tier/);
    const costly = await both(
      `{ ${S}(limit: 1000) ROOT { dependsOn { dependsOn { dependsOn { identifier } } } } }`,
    );
    expect(costly.compiled).toBe(false);
    expect(costly.answer.status).toBe(400);
  });

  it('only serves callers who may read every blueprint the query touches, in full', async () => {
    // The admin reads the secret blueprint: compiled. A viewer does not: the library filters.
    const query = `{ ${S}(sort: [{ identifier: ASC }], limit: 2) ROOT { identifier keeps { identifier codename } } }`;
    const admin = await both(query, undefined, { ordered: true });
    expect(admin.compiled).toBe(true);
    expect(admin.answer.body.data[S][0].keeps).toEqual([{ identifier: 'k-1', codename: 'x' }]);
    const viewer = await both(query, undefined, { token: tokens.viewer, ordered: true });
    expect(viewer.compiled).toBe(false);
    expect(viewer.answer.body.data[S][0].keeps).toEqual([]);
    // Entities the viewer reads only where their team owns them: the library's rule, not this path.
    const ownedList = await both(`{ ${pluralFieldOf(owned)} ROOT { identifier note } }`, undefined, {
      token: tokens.viewer,
    });
    expect(ownedList.compiled).toBe(false);
    expect(ownedList.answer.body.data[pluralFieldOf(owned)]).toEqual([{ identifier: 'o-a', note: 'a' }]);
    // What the viewer may read in full is compiled for them too.
    const mine = await both(`{ ${T}(sort: [{ identifier: ASC }]) ROOT { identifier } }`, undefined, {
      token: tokens.viewer,
      ordered: true,
    });
    expect(mine.compiled).toBe(true);
    expect(mine.answer.body.data[T]).toHaveLength(3);
  });

  it('counts the requests of each path on /metrics', async () => {
    const text = (await px.call('GET', '/metrics')).body as string;
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
    expect(value('plexus_graphql_compiled_requests')).toBeGreaterThan(10);
    expect(value('plexus_graphql_library_requests')).toBeGreaterThan(10);
  });
});
