import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { Db } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createTokenStore } from './tokens.ts';

// Failed authentications (issue 14, item 6): throttled per client address, misses cached, and
// nothing of it delays a new token or a revocation.
let px: TestPlexus;

/**
 * A Db whose queries are counted: how often the token store went to Neo4j (a statement opens a
 * session of its own, db/driver.ts runStatement; executeQuery is counted too).
 */
function countingDb(db: Db): { db: Db; queries: () => number } {
  let queries = 0;
  const driver = new Proxy(db.driver, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === 'executeQuery' || key === 'session') {
        return (...args: unknown[]) => {
          queries++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Driver;
  return { db: { ...db, driver }, queries: () => queries };
}

/** A random value shaped like an issued token (`plx_` and 43 base64url characters). */
const guess = () => `plx_${randomBytes(32).toString('base64url')}`;

beforeAll(async () => {
  px = await startTestPlexus();
});
afterAll(async () => {
  await px?.close();
});

describe('failed authentications', () => {
  it('throttles 3,000 bad tokens from one address with 429 and Retry-After, querying the database only for the burst', async () => {
    const counted = countingDb(px.services.db);
    // A slow refill, so the count of failures let through is the burst whatever the machine's speed.
    const failureLimit = { perMinute: 1, burst: 50 };
    const app = createApp({
      ...px.services,
      config: { ...px.services.config, auth: { ...px.services.config.auth, failureLimit } },
      tokens: createTokenStore(counted.db, { adminToken: px.adminToken }),
    });
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let i = 0; i < 3000; i++) {
      const res = await app.request('/api/v1/blueprints', {
        headers: { authorization: `Bearer ${guess()}` },
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429) retryAfter ??= res.headers.get('retry-after');
    }
    const refused = statuses.get(401) ?? 0;
    expect(refused).toBeGreaterThanOrEqual(50);
    expect(refused).toBeLessThanOrEqual(53);
    expect(statuses.get(429)).toBe(3000 - refused);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // One lookup per distinct guess let through; none once the address is throttled.
    expect(counted.queries()).toBeLessThanOrEqual(refused);
    // While throttled, even a valid credential from that address waits.
    const valid = await app.request('/api/v1/blueprints', {
      headers: { authorization: `Bearer ${px.adminToken}` },
    });
    expect(valid.status).toBe(429);
  }, 120_000);

  it('looks a repeated bad token up once, and a value not shaped like a token never', async () => {
    const counted = countingDb(px.services.db);
    const app = createApp({
      ...px.services,
      config: {
        ...px.services.config,
        auth: { ...px.services.config.auth, failureLimit: { perMinute: 0, burst: 1 } },
      },
      tokens: createTokenStore(counted.db),
    });
    const same = guess();
    for (let i = 0; i < 100; i++)
      expect(
        (await app.request('/api/v1/blueprints', { headers: { authorization: `Bearer ${same}` } })).status,
      ).toBe(401);
    expect(counted.queries()).toBe(1);
    for (let i = 0; i < 100; i++)
      expect(
        (await app.request('/api/v1/blueprints', { headers: { authorization: `Bearer not-a-token-${i}` } }))
          .status,
      ).toBe(401);
    expect(counted.queries()).toBe(1);
  });

  it('accepts a token created after misses at once, and refuses a revoked one at once', async () => {
    const counted = countingDb(px.services.db);
    const tokens = createTokenStore(counted.db, { adminToken: px.adminToken });
    const app = createApp({ ...px.services, tokens });
    for (let i = 0; i < 5; i++)
      await app.request('/api/v1/blueprints', { headers: { authorization: `Bearer ${guess()}` } });
    const created = await tokens.create({ name: uniqueId('fresh'), role: 'viewer' }, { actor: 'test', source: 'api' });
    const use = () =>
      app.request('/api/v1/blueprints', { headers: { authorization: `Bearer ${created.token}` } });
    expect((await use()).status).toBe(200);
    expect((await use()).status).toBe(200);
    await tokens.delete(created.id, { actor: 'test', source: 'api' });
    expect((await use()).status).toBe(401);
  });

  it('throttles by the socket address, and trusts X-Forwarded-For only when configured', async () => {
    const listen = async (trustProxy: boolean) => {
      const config = {
        ...px.services.config,
        trustProxy,
        auth: { ...px.services.config.auth, failureLimit: { perMinute: 1, burst: 3 } },
      };
      const app = createApp({ ...px.services, config });
      return new Promise<{ url: string; close: () => Promise<void> }>((ok) => {
        const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
          ok({
            url: `http://127.0.0.1:${info.port}`,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        );
      });
    };
    const hit = (url: string, forwarded: string) =>
      fetch(`${url}/api/v1/blueprints`, {
        headers: { authorization: `Bearer ${guess()}`, 'x-forwarded-for': forwarded },
      }).then((r) => r.status);

    const direct = await listen(false);
    try {
      // Spoofed X-Forwarded-For values do not help: the socket's address is what counts.
      const seen = [];
      for (let i = 0; i < 5; i++) seen.push(await hit(direct.url, `203.0.113.${i}`));
      expect(seen).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await direct.close();
    }

    const proxied = await listen(true);
    try {
      const one = [];
      for (let i = 0; i < 4; i++) one.push(await hit(proxied.url, '198.51.100.7, 10.0.0.1'));
      expect(one).toEqual([401, 401, 401, 429]);
      // Another client behind the proxy has its own budget.
      expect(await hit(proxied.url, '198.51.100.8')).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});
