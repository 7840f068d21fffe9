import { readFileSync } from 'node:fs';
import type { MappingDocument } from '@plexus/connector-sdk';
import { type FakeServer, runConnectorContract, startFakeServer, type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJsonConnector } from './connector.ts';

interface InventoryItem {
  id: number;
  slug: string;
  display_name: string;
  tier: number | string;
  language: string;
  owner: { team: string } | null;
  depends_on: string[];
  archived: boolean;
}

const recorded = JSON.parse(
  readFileSync(new URL('./__fixtures__/inventory-page.json', import.meta.url), 'utf8'),
) as { data: InventoryItem[] };

const serviceBlueprint = (identifier: string) => ({
  identifier,
  title: 'Inventory service',
  schema: {
    properties: {
      tier: { type: 'integer', minimum: 1, maximum: 3 },
      language: { type: 'string' },
      team: { type: 'string' },
    },
    required: ['tier'],
  },
  relations: { dependsOn: { target: identifier, many: true } },
});

const mappingFor = (blueprint: string): MappingDocument => ({
  mappings: [
    {
      kind: 'service',
      selector: 'archived = false',
      blueprint,
      identifier: 'slug',
      title: 'display_name',
      properties: { tier: '$number(tier)', language: '$lowercase(language)', team: 'owner.team' },
      relations: { dependsOn: 'depends_on' },
    },
  ],
});

/** An inventory API: cursor pagination over `state.items`, two per page, identifiers prefixed. */
async function inventoryServer(
  state: { items: InventoryItem[]; failure: 'none' | 'at-start' | 'midway' },
  prefix: string,
): Promise<FakeServer> {
  return startFakeServer((req) => {
    if (req.headers.authorization !== 'Bearer inventory-token')
      return { status: 401, body: { message: 'Bad credentials' } };
    if (state.failure === 'at-start') return { status: 403, body: { message: 'Forbidden' } };
    const all = state.items.map((i) => ({
      ...i,
      slug: `${prefix}-${i.slug}`,
      depends_on: i.depends_on.map((d) => `${prefix}-${d}`),
    }));
    const cursor = Number(req.query.get('cursor') ?? 0);
    if (state.failure === 'midway' && cursor > 0) return { status: 400, body: { message: 'cursor expired' } };
    return {
      body: {
        data: all.slice(cursor, cursor + 2),
        meta: { next_cursor: cursor + 2 < all.length ? String(cursor + 2) : null },
      },
    };
  });
}

const configFor = (url: string) => ({
  url: `${url}/v1/services`,
  kind: 'service',
  items: 'data',
  headers: { authorization: 'Bearer inventory-token' },
  pagination: { strategy: 'cursor', nextCursor: 'meta.next_cursor' },
});

let contractBlueprint = '';
runConnectorContract<InventoryItem, unknown>({
  name: 'http-json',
  startPlexus,
  fixtures: recorded.data,
  async prepare(plexus) {
    contractBlueprint = uniqueId('inv');
    const res = await plexus.call('POST', '/api/v1/blueprints', serviceBlueprint(contractBlueprint));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  },
  async create(state, { prefix }) {
    const server = await inventoryServer(state, prefix);
    return {
      connector: httpJsonConnector,
      config: configFor(server.url),
      mapping: mappingFor(contractBlueprint),
      close: server.close,
    };
  },
});

describe('http-json connector', () => {
  let plexus: PlexusUnderTest;
  let blueprint: string;
  const servers: FakeServer[] = [];

  beforeAll(async () => {
    plexus = await startPlexus();
    blueprint = uniqueId('inv');
    expect((await plexus.call('POST', '/api/v1/blueprints', serviceBlueprint(blueprint))).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await plexus.close();
  });

  async function register(items: InventoryItem[], extra: Record<string, unknown> = {}) {
    const prefix = uniqueId('h');
    const server = await inventoryServer({ items, failure: 'none' }, prefix);
    servers.push(server);
    const id = uniqueId('inventory-');
    const res = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'http-json',
      config: configFor(server.url),
      mapping: mappingFor(blueprint),
      ...extra,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id, prefix, server };
  }

  async function sync(id: string) {
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    expect(started.status).toBe(202);
    await plexus.services.sources.waitForRun(started.body.run);
    return (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
  }

  it('pages through the endpoint and maps every selected item, relations included', async () => {
    const { id, prefix, server } = await register(recorded.data);
    const run = await sync(id);
    expect(run.status).toBe('succeeded');
    expect(run.records).toBe(5);
    expect(run.created).toBe(4); // the archived item is not selected
    expect(server.requests.map((r) => r.query.get('cursor'))).toEqual([null, '2', '4']);
    const cart = await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${prefix}-cart`);
    expect(cart.body).toMatchObject({
      title: 'Cart Service',
      properties: { tier: 1, language: 'typescript', team: 'payments' },
      relations: { dependsOn: [`${prefix}-catalog`, `${prefix}-pricing`] },
      meta: { sources: [`connector:${id}`] },
    });
  });

  it('never returns the headers (they carry credentials) and keeps them when a PUT leaves them out', async () => {
    const { id } = await register(recorded.data);
    const got = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(got.body.config.headers).toBeUndefined();
    expect(got.body.secretsSet).toEqual(['headers']);
    expect(JSON.stringify(got.body)).not.toContain('inventory-token');
    const listed = await plexus.call('GET', '/api/v1/sources');
    expect(JSON.stringify(listed.body)).not.toContain('inventory-token');
    const put = await plexus.call('PUT', `/api/v1/sources/${id}`, {
      type: 'http-json',
      config: got.body.config,
      mapping: got.body.mapping,
      schedule: '1h',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.schedule).toBe('1h');
    expect((await sync(id)).status).toBe('succeeded');
  });

  it('reports a record whose mapping fails, with its position, and writes the others', async () => {
    const items = structuredClone(recorded.data);
    items[2].tier = 'very high';
    const { id, prefix } = await register(items);
    const run = await sync(id);
    expect(run.status).toBe('succeeded');
    expect(run.created).toBe(3);
    expect(run.errors).toBe(1);
    expect(run.errorDetails[0]).toMatchObject({
      stage: 'mapping',
      position: 2,
      kind: 'service',
      field: 'mappings[0].properties.tier',
      identifier: `${prefix}-pricing`,
    });
    expect(run.errorDetails[0].origin).toMatch(/\/v1\/services/);
  });

  it('reports a record that fails the blueprint schema and writes the others', async () => {
    const items = structuredClone(recorded.data);
    items[1].tier = 7;
    const { id, prefix } = await register(items);
    const run = await sync(id);
    expect(run.created).toBe(3);
    expect(run.errors).toBe(1);
    expect(run.errorDetails[0]).toMatchObject({ stage: 'validation', identifier: `${prefix}-catalog` });
    expect(run.errorDetails[0].message).toMatch(/tier/);
  });

  it('refuses a mapping whose expression does not compile, naming where', async () => {
    const mapping = mappingFor(blueprint);
    (mapping.mappings[0].properties as Record<string, string>).tier = '$number(tier';
    const res = await plexus.call('POST', '/api/v1/sources', {
      identifier: uniqueId('bad-'),
      type: 'http-json',
      config: { url: 'http://127.0.0.1:9/x' },
      mapping,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe('/mapping/mappings/0/properties/tier');
  });

  it('refuses a config with every problem listed', async () => {
    const res = await plexus.call('POST', '/api/v1/sources', {
      identifier: uniqueId('bad-'),
      type: 'http-json',
      config: { url: 'not a url', pagination: { strategy: 'sideways' }, extra: 1 },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      '/config/extra',
      '/config/pagination/strategy',
      '/config/url',
    ]);
  });

  it('needs the admin role to register or sync a source', async () => {
    const token = await plexus.call('POST', '/api/v1/tokens', { name: uniqueId('member'), role: 'member' });
    expect(token.status).toBe(201);
    const res = await plexus.call(
      'POST',
      '/api/v1/sources',
      { identifier: uniqueId('x-'), type: 'http-json', config: { url: 'http://127.0.0.1:9/' } },
      { token: token.body.token },
    );
    expect(res.status).toBe(403);
  });
});

describe('http-json connector behind the egress policy', () => {
  // Started before Plexus, so its allow list can name one fake server's port and not the others'.
  let plexus: PlexusUnderTest;
  let blueprint: string;
  let allowedServer: FakeServer;
  let otherServer: FakeServer;
  let redirecting: FakeServer;
  let oversized: FakeServer;
  const prefix = uniqueId('e');
  const served = { items: recorded.data, failure: 'none' as const };

  beforeAll(async () => {
    otherServer = await inventoryServer(served, prefix);
    allowedServer = await inventoryServer(served, prefix);
    redirecting = await startFakeServer(() => ({
      status: 302,
      headers: { location: `${otherServer.url}/v1/services` },
    }));
    oversized = await startFakeServer(() => ({ body: { data: [{ blob: 'z'.repeat(64 * 1024) }] } }));
    plexus = await startPlexus({
      egress: {
        timeoutMs: 60_000,
        maxRedirects: 5,
        // Only these two listeners; the redirect target and the other server are not allowed.
        allow: [
          `127.0.0.1:${new URL(allowedServer.url).port}`,
          `127.0.0.1:${new URL(redirecting.url).port}`,
          `127.0.0.1:${new URL(oversized.url).port}`,
        ],
        maxResponseBytes: 16 * 1024,
      },
    });
    blueprint = uniqueId('inv');
    expect((await plexus.call('POST', '/api/v1/blueprints', serviceBlueprint(blueprint))).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of [allowedServer, otherServer, redirecting, oversized]) await s?.close();
    await plexus?.close();
  });

  async function syncUrl(url: string) {
    const id = uniqueId('egress-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'http-json',
      config: { ...configFor(url), url },
      mapping: mappingFor(blueprint),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    return (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
  }

  it('refuses a local listener the allow list does not name, without connecting to it', async () => {
    const before = otherServer.requests.length;
    const run = await syncUrl(`${otherServer.url}/v1/services`);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(
      /refused http:\/\/127\.0\.0\.1:\d+: it is a loopback address; allow it with PLEXUS_EGRESS_ALLOW/,
    );
    expect(run.created).toBe(0);
    expect(otherServer.requests.length).toBe(before);
  });

  it('reads the listener the allow list names', async () => {
    const run = await syncUrl(`${allowedServer.url}/v1/services`);
    expect(run.status, run.message).toBe('succeeded');
    expect(run.created).toBe(4);
  });

  it('refuses a redirect from an allowed host to a forbidden one', async () => {
    const before = otherServer.requests.length;
    const run = await syncUrl(`${redirecting.url}/v1/services`);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(
      new RegExp(`refused http://127\\.0\\.0\\.1:${new URL(otherServer.url).port}: it is a loopback address`),
    );
    expect(redirecting.requests.length).toBeGreaterThan(0);
    expect(otherServer.requests.length).toBe(before);
  });

  it('refuses a response larger than the cap', async () => {
    const run = await syncUrl(`${oversized.url}/v1/services`);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/larger than 16384 bytes \(PLEXUS_EGRESS_MAX_RESPONSE_BYTES\)/);
  });
});

describe('http-json connector credentials on redirects', () => {
  let plexus: PlexusUnderTest;
  let blueprint: string;
  const servers: FakeServer[] = [];
  beforeAll(async () => {
    plexus = await startPlexus();
    blueprint = uniqueId('inv');
    expect((await plexus.call('POST', '/api/v1/blueprints', serviceBlueprint(blueprint))).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await plexus.close();
  });

  it('does not forward Authorization (or any configured header) to another origin', async () => {
    // Two listeners, both allowed (the test Plexus allows 127.0.0.1): a different port is a different origin.
    const prefix = uniqueId('r');
    const landing = await startFakeServer((req) => ({
      body: {
        data: recorded.data.map((i) => ({ ...i, slug: `${prefix}-${i.slug}`, depends_on: [] })),
        meta: { next_cursor: null },
        seen: req.headers.authorization ?? null,
      },
    }));
    const first = await startFakeServer(() => ({
      status: 307,
      headers: { location: `${landing.url}/v1/services` },
    }));
    servers.push(landing, first);
    const id = uniqueId('redirect-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'http-json',
      config: {
        ...configFor(first.url),
        headers: { authorization: 'Bearer inventory-token', 'x-inventory-key': 'k-123' },
      },
      mapping: mappingFor(blueprint),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    const run = (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
    expect(run.status, run.message).toBe('succeeded');
    expect(run.created).toBe(4);
    expect(first.requests[0].headers.authorization).toBe('Bearer inventory-token');
    expect(first.requests[0].headers['x-inventory-key']).toBe('k-123');
    expect(landing.requests.length).toBeGreaterThan(0);
    for (const r of landing.requests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers['x-inventory-key']).toBeUndefined();
    }
  });
});
