import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from './db/driver.ts';
import { authWithoutRateLimit, startTestPlexus, type TestPlexus, uniqueId } from './test-support.ts';

// Property-based requests (issue 14, "Done when"): every REST operation of the OpenAPI document
// that takes a body or query parameters gets arbitrary and mutated bodies and parameters. Only
// 2xx and 4xx may come back, a 4xx writes nothing, and the server is ready afterwards.
let px: TestPlexus;
let blueprint: string;

type Operation = { method: string; path: string; body: string | null; query: string[] };

/** The operations of the OpenAPI document the app serves that take a body (POST, PUT, PATCH) or query parameters. */
async function operations(): Promise<Operation[]> {
  const served = await px.call('GET', '/api/v1/openapi.json', undefined, { token: null });
  expect(served.status).toBe(200);
  const doc = served.body as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: { name: string; in: string }[];
          requestBody?: { content: Record<string, { schema: { $ref: string } }> };
        }
      >
    >;
  };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      const takesBody = ['post', 'put', 'patch'].includes(method);
      // DELETEs are left out: a valid one is meant to write, and they take no body.
      if (method === 'delete' || (!takesBody && query.length === 0)) continue;
      const ref = op.requestBody?.content['application/json']?.schema.$ref;
      out.push({
        method: method.toUpperCase(),
        path,
        body: takesBody ? (ref?.split('/').pop() ?? 'object') : null,
        query,
      });
    }
  }
  return out;
}

/** A valid body per schema name, for mutation. */
function seed(schema: string | null): unknown {
  switch (schema) {
    case 'Entity':
      return {
        identifier: 'e2',
        title: 'E',
        properties: { note: 'n', size: 3 },
        relations: { dependsOn: ['e1'] },
      };
    case 'BulkRequest':
      return { entities: [{ blueprint, identifier: 'e3', properties: { note: 'b' } }] };
    case 'SearchRequest':
      return {
        blueprint,
        combinator: 'and',
        rules: [{ property: 'note', operator: '=', value: 'n' }],
        limit: 5,
      };
    case 'Blueprint':
      return {
        identifier: `${blueprint}x`,
        title: 'X',
        schema: { properties: { note: { type: 'string' } } },
      };
    default:
      return { name: 'x', role: 'viewer', params: {}, title: 't' };
  }
}

const json = fc.jsonValue({ maxDepth: 4 });

/** Replaces, deletes or poisons one key somewhere in `value`. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value !== 'object' || value === null) return json;
  const keys = Object.keys(value);
  return fc.oneof(
    fc.constant(value),
    fc
      .tuple(fc.constantFrom(...(keys.length ? keys : ['k'])), json)
      .map(([k, v]) => ({ ...(value as object), [k]: v })),
    fc.constantFrom(...(keys.length ? keys : ['k'])).map((k) => {
      const copy = { ...(value as Record<string, unknown>) };
      delete copy[k];
      return copy;
    }),
    fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), json)
      .map(([k, v]) =>
        JSON.parse(
          // A reserved key first, then the value's own keys (none when it is `{}`: no trailing comma).
          JSON.stringify(value).replace(/^\{(\}?)/, (_m, empty: string) => `{${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}${empty ? '}' : ','}`),
        ),
      ),
    fc
      .constantFrom(...(keys.length ? keys : ['k']))
      .chain((k) =>
        mutate((value as Record<string, unknown>)[k]).map((v) => ({ ...(value as object), [k]: v })),
      ),
  );
}

/** A body as bytes: a mutated seed, any JSON, deep nesting, broken text or raw bytes. */
const bodyOf = (schema: string | null): fc.Arbitrary<Uint8Array> => {
  const text = (s: string) => new TextEncoder().encode(s);
  return fc.oneof(
    { weight: 6, arbitrary: mutate(seed(schema)).map((v) => text(JSON.stringify(v) ?? 'null')) },
    { weight: 2, arbitrary: json.map((v) => text(JSON.stringify(v))) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60, max: 3000 }).map((n) => text(`${'['.repeat(n)}${']'.repeat(n)}`)),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(text) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
};

const paramValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    'true',
    'false',
    '0',
    '-1',
    '1e309',
    'NaN',
    '99999999999999999999',
    'null',
    '[]',
    '{}',
    "'; MATCH (n) DETACH DELETE n //",
    '../../etc/passwd',
    '%00',
    'e1',
  ),
  fc.integer().map(String),
);

/** Path parameters: this test's blueprint and entity where the name says so, else anything. */
function fill(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(
      name === 'blueprint' ? blueprint : name === 'identifier' ? 'e1' : (values[name] ?? 'x'),
    ),
  );
}

/** What a 4xx must leave alone: this blueprint's entities, its audit trail and its definition. */
async function footprint(): Promise<string> {
  const [row] = await readRows<{ audit: number }>(
    px.services.db,
    'MATCH (a:_AuditEvent {blueprint: $blueprint}) RETURN count(a) AS audit',
    { blueprint },
  );
  const entities = (await px.call('GET', `/api/v1/blueprints/${blueprint}/entities?limit=1000`)).body;
  const definition = (await px.call('GET', `/api/v1/blueprints/${blueprint}`)).body;
  return JSON.stringify({ row, entities, definition: { ...definition, meta: undefined } });
}

beforeAll(async () => {
  // Hundreds of requests from one token: the per-token rate limit is off.
  px = await startTestPlexus({ auth: authWithoutRateLimit() });
  // Like a server at start-up (main.ts), a GraphQL schema is served before requests come in.
  await px.services.schemas.ready();
  blueprint = uniqueId('prop');
  const created = await px.call('POST', '/api/v1/blueprints', {
    identifier: blueprint,
    title: 'Prop',
    schema: { properties: { note: { type: 'string' }, size: { type: 'integer', minimum: 0 } } },
    relations: { dependsOn: { target: blueprint, many: true } },
  });
  expect(created.status).toBe(201);
  expect(
    (
      await px.call('POST', `/api/v1/blueprints/${blueprint}/entities`, {
        identifier: 'e1',
        properties: { note: 'n' },
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await px?.call('DELETE', `/api/v1/blueprints/${blueprint}x?force=true`);
  await px?.close();
});

describe('arbitrary requests', () => {
  let ops: Operation[] = [];
  beforeAll(async () => {
    ops = await operations();
  });

  it('covers every body-carrying and query-taking operation of the OpenAPI document', () => {
    expect(ops.length).toBeGreaterThan(20);
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/entities/bulk',
        'POST /api/v1/search',
        'PUT /api/v1/blueprints/{blueprint}',
        'GET /api/v1/audit',
      ]),
    );
  });

  it('answer only 2xx or 4xx, write nothing on 4xx, and leave the server ready', async () => {
    const seen = new Map<number, number>();
    const request = fc.constantFrom(...ops).chain((op) =>
      fc.record({
        op: fc.constant(op),
        path: fc.dictionary(fc.constantFrom('source', 'run', 'scorecard', 'query', 'id', 'pack'), paramValue),
        query: fc.dictionary(
          op.query.length ? fc.constantFrom(...op.query) : fc.constant('limit'),
          paramValue,
          { maxKeys: 3 },
        ),
        body: op.body === null ? fc.constant(null) : bodyOf(op.body),
        type: fc.constantFrom(
          'application/json',
          'application/json',
          'application/json',
          'application/x-ndjson',
          'text/plain',
          'application/x-www-form-urlencoded',
          null,
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ op, path, query, body, type }) => {
        const before = await footprint();
        const search = new URLSearchParams(query).toString();
        const headers: Record<string, string> = { authorization: `Bearer ${px.adminToken}` };
        if (body && type) headers['content-type'] = type;
        const res = await px.app.request(`${fill(op.path, path)}${search ? `?${search}` : ''}`, {
          method: op.method,
          headers,
          ...(body ? { body: body as unknown as BodyInit } : {}),
        });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(
          res.status,
          `${op.method} ${op.path} answered ${res.status}: ${text.slice(0, 300)}`,
        ).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
        if (res.status >= 400)
          expect(await footprint(), `${op.method} ${op.path} wrote on ${res.status}`).toBe(before);
      }),
      { numRuns: 150, interruptAfterTimeLimit: 45_000, markInterruptAsFailure: false },
    );
    // Most requests are refused (that is the point), but some must get through.
    expect([...seen.keys()].some((s) => s >= 400)).toBe(true);
    const ready = await px.call('GET', '/readyz', undefined, { token: null });
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
  }, 120_000);
});
