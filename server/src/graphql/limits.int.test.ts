import { labelOf, pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId, waitFor, waitForGraphqlType } from '../test-support.ts';
import { defaultGraphqlLimits } from './limits.ts';

// Issue 14, item 4: GraphQL depth, alias and cost limits answer 400 before any Cypher runs, and
// a caller over its cap of concurrent heavy requests gets 429 while others are served.

let px: TestPlexus;
const bp = uniqueId('node');
const plural = pluralFieldOf(bp);
let viewerA = '';
let viewerB = '';
/** Database sessions opened through the app's driver (@neo4j/graphql, /readyz, services). */
let sessions = 0;

const post = (token: string, query: string) =>
  px.app.request('/graphql', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });

/** `depth` levels of relation fields under the root list, one row each. */
function deepQuery(depth: number): string {
  let q = 'identifier';
  for (let i = 2; i < depth; i++) q = `next(limit: 1) { identifier ${q} }`;
  return `{ ${plural}(limit: 1) { ${q} } }`;
}
const aliasQuery = (n: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${plural}(limit: 300) { identifier }`).join(' ')} }`;
const impactQuery = (n: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: impact(blueprint: "${bp}", identifier: "n-0", depth: 10) { nodes { identifier } }`).join(' ')} }`;

beforeAll(async () => {
  // Aliases and root fields are raised so that the 300 impact aliases meet the cost limit.
  px = await startTestPlexus({
    graphqlLimits: { ...defaultGraphqlLimits, maxAliases: 1000, maxRootFields: 1000, maxConcurrent: 2 },
  });
  expect(
    (
      await px.call('POST', '/api/v1/blueprints', {
        identifier: bp,
        title: 'Node',
        schema: { properties: {} },
        relations: { next: { target: bp, many: true } },
      })
    ).status,
  ).toBe(201);
  const entities = Array.from({ length: 20 }, (_, i) => ({
    blueprint: bp,
    identifier: `n-${i}`,
    relations: { next: i < 19 ? [`n-${i + 1}`] : [] },
  }));
  expect((await px.call('POST', '/api/v1/entities/bulk', { entities })).status).toBe(200);
  viewerA = (await px.call('POST', '/api/v1/tokens', { name: 'a', role: 'viewer' })).body.token;
  viewerB = (await px.call('POST', '/api/v1/tokens', { name: 'b', role: 'viewer' })).body.token;
  // The schema is built lazily in tests: wait for the type before measuring anything.
  await waitForGraphqlType(px, labelOf(bp));
  const driver = px.services.db.driver;
  const open = driver.session.bind(driver);
  driver.session = ((...args: Parameters<typeof open>) => {
    sessions++;
    return open(...args);
  }) as typeof driver.session;
}, 480_000);

afterAll(async () => {
  await px?.close();
});

describe('GraphQL limits', () => {
  it('answers a query within the limits (the schema works with the limits on)', async () => {
    const r = await post(viewerA, deepQuery(5));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.errors).toBeUndefined();
    expect(body.data[plural]).toHaveLength(1);
  });

  for (const [name, query, limit] of [
    ['a depth-12 query', deepQuery(12), /deeper than 10 fields \(PLEXUS_GRAPHQL_MAX_DEPTH\)/],
    [
      'a 1,000-alias query',
      aliasQuery(1000),
      /estimated cost exceeds 50000 \(PLEXUS_GRAPHQL_MAX_COST\)|more than \d+ aliases/,
    ],
    [
      '300 aliases of impact(depth: 10)',
      impactQuery(300),
      /estimated cost exceeds 50000 \(PLEXUS_GRAPHQL_MAX_COST\)/,
    ],
  ] as const) {
    it(`refuses ${name} with a 400 naming the limit, in under 100 ms, without opening a database session`, async () => {
      // Warm-up: the first request of a kind pays for module and schema caches.
      await (await post(viewerA, query)).text();
      const before = sessions;
      const started = performance.now();
      const r = await post(viewerA, query);
      const body = await r.json();
      const ms = performance.now() - started;
      expect(r.status).toBe(400);
      expect(body.errors[0].message).toMatch(limit);
      expect(sessions - before, 'no Cypher may run for a refused query').toBe(0);
      expect(ms).toBeLessThan(100);
    });
  }

  it('keeps /readyz fast while refused queries arrive in parallel', async () => {
    const readyz = async () => {
      const started = performance.now();
      const r = await px.app.request('/readyz');
      return { status: r.status, ms: performance.now() - started };
    };
    const refused = async (query: string) => {
      const started = performance.now();
      const r = await post(viewerA, query);
      await r.text();
      return { status: r.status, ms: performance.now() - started };
    };
    await readyz();
    const [ready, deep, aliases] = await Promise.all([
      readyz(),
      refused(deepQuery(12)),
      refused(aliasQuery(1000)),
    ]);
    expect([deep.status, aliases.status]).toEqual([400, 400]);
    expect(ready.status).toBe(200);
    // Generous for a loaded 2-core machine; the issue saw /readyz take 33 s behind one query.
    expect(ready.ms).toBeLessThan(2_000);
    expect(deep.ms).toBeLessThan(100 + ready.ms);
  });

  it('applies the limits to saved GraphQL queries too', async () => {
    const id = `deep-${bp.toLowerCase()}`;
    expect(
      (
        await px.call('POST', '/api/v1/queries', {
          identifier: id,
          title: 'deep',
          language: 'graphql',
          query: deepQuery(12),
        })
      ).status,
    ).toBe(201);
    const r = await px.call('POST', `/api/v1/queries/${id}/run`, {}, { token: viewerA });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/PLEXUS_GRAPHQL_MAX_DEPTH/);
  });
});

describe('concurrent heavy requests per caller', () => {
  it('answers 429 with Retry-After to a caller over its cap while another caller is served', async () => {
    // Two requests of caller A that stay in flight until their bodies end.
    const writers: WritableStreamDefaultWriter<Uint8Array>[] = [];
    const hanging = Array.from({ length: 2 }, () => {
      const stream = new TransformStream<Uint8Array, Uint8Array>();
      writers.push(stream.writable.getWriter());
      return px.app.request(
        new Request('http://localhost/graphql', {
          method: 'POST',
          headers: { authorization: `Bearer ${viewerA}`, 'content-type': 'application/json' },
          body: stream.readable,
          duplex: 'half',
        } as RequestInit),
      );
    });
    const query = JSON.stringify({ query: `{ ${plural}(limit: 1) { identifier } }` });
    const simple = (token: string) =>
      px.app.request('/graphql', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: query,
      });
    // Poll until both hanging requests hold their slots (a probe that gets in finishes at once).
    const refused = await waitFor(
      'caller A to reach its cap',
      async () => {
        const r = await simple(viewerA);
        if (r.status === 429) return r;
        await r.text();
        return undefined;
      },
      20_000,
      { intervalMs: 1 },
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).error.message).toMatch(/PLEXUS_GRAPHQL_MAX_CONCURRENT/);
    // The same cap covers REST search and impact for this caller.
    expect(
      (await px.app.request(`/api/v1/search?q=n`, { headers: { authorization: `Bearer ${viewerA}` } }))
        .status,
    ).toBe(429);

    const other = await simple(viewerB);
    expect(other.status).toBe(200);
    expect((await other.json()).data[plural]).toHaveLength(1);

    const encoder = new TextEncoder();
    for (const w of writers) {
      await w.write(encoder.encode(query));
      await w.close();
    }
    const done = await Promise.all(hanging);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    // The slots are back: caller A is served again.
    expect((await simple(viewerA)).status).toBe(200);
  });

  it('does not count GraphQL requests waiting for a schema build against the cap', async () => {
    const ask = async () =>
      px.app.request('/graphql', {
        method: 'POST',
        headers: { authorization: `Bearer ${viewerA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ ${plural}(limit: 1) { identifier } }` }),
      });
    for (let round = 1; round <= 5; round++) {
      // A model change: this (lazy) server's next GraphQL requests wait for a new schema build.
      const created = await px.call('POST', '/api/v1/blueprints', {
        identifier: uniqueId('lim'),
        title: 'Later',
        schema: { properties: {} },
      });
      expect(created.status).toBe(201);
      let settled = 0;
      const waiting = [ask(), ask()].map((p) => p.finally(() => settled++));
      // As many GraphQL requests as the cap wait for the build; a search of the same caller is served.
      const search = await px.app.request('/api/v1/search?q=n', { headers: { authorization: `Bearer ${viewerA}` } });
      const overlapped = settled === 0;
      expect(search.status).toBe(200);
      // Every GraphQL request is answered once the schema is there (none failed while waiting).
      for (const r of await Promise.all(waiting)) expect([200, 429]).toContain(r.status);
      if (overlapped) return;
    }
    throw new Error('in 5 rounds the schema builds never outlasted a search: nothing was tested');
  });
});
