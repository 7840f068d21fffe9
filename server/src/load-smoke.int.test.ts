import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../bench/client.ts';
import {
  dropLoadCatalog,
  type LoadCatalog,
  requestKinds,
  runLoadMix,
  seedLoadCatalog,
} from '../../bench/load-mix.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from './test-support.ts';

// The smoke version of `npm run bench -- load`: the same mix for a few seconds at low
// concurrency over real HTTP. No timing is asserted here; the benchmark measures that.
let px: TestPlexus;
let server: Server;
let url: string;
const catalog: LoadCatalog = {
  team: uniqueId('loadTeam'),
  service: uniqueId('loadSvc'),
  services: 60,
  teams: 4,
};
let changed: string | null = null;

beforeAll(async () => {
  px = await startTestPlexus();
  ({ server, url } = await new Promise<{ server: Server; url: string }>((ok) => {
    const s = serve({ fetch: px.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      ok({ server: s as Server, url: `http://127.0.0.1:${info.port}` }),
    );
  }));
  const api = createClient(url, px.adminToken);
  try {
    await seedLoadCatalog(api, catalog);
  } finally {
    api.close();
  }
}, 300_000);

afterAll(async () => {
  if (url) {
    const api = createClient(url, px.adminToken);
    await dropLoadCatalog(api, catalog, changed ? [changed] : []);
    api.close();
  }
  await new Promise<void>((ok) => {
    if (!server) return ok();
    server.close(() => ok());
    server.closeAllConnections();
  });
  await px?.close();
}, 300_000);

describe('mixed load (smoke)', () => {
  it('answers every kind of request in the mix, and a blueprint change, without an error', async () => {
    const report = await runLoadMix({
      url,
      token: px.adminToken,
      catalog,
      durationMs: 4000,
      concurrency: 3,
      changeAtMs: 1000,
      bulkSize: 10,
    });
    changed = report.change?.blueprint ?? null;
    expect(report.errorSamples).toEqual([]);
    const byKind = new Map(report.kinds.map((k) => [k.kind, k]));
    for (const kind of requestKinds) expect(byKind.get(kind)?.count, kind).toBeGreaterThan(0);
    expect(byKind.get('all')?.errors).toBe(0);
    expect(byKind.get('blueprint-change')).toMatchObject({ count: 1, errors: 0 });
    // The new blueprint's GraphQL type was served before the run ended.
    expect(report.change).not.toBeNull();
  }, 180_000);
});
