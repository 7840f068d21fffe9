/**
 * The database dies under a bulk load: requests answer 503 fast with Retry-After, /readyz says so
 * within a second, the supervisor restarts Neo4j, the driver reconnects, and every write that was
 * acknowledged with a 2xx (including the committed part of an interrupted bulk) is stored.
 * Runs its own embedded Neo4j (not the global one) because it kills it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { readConfig } from '../config.ts';
import { silentLogger } from '../log.ts';
import { createServices, type Services } from '../services.ts';
import { createDriver, readRows } from './driver.ts';
import { type SupervisedNeo4j, superviseEmbeddedNeo4j } from './embedded-neo4j.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

const token = 'supervisor-test-admin-token';
let dir: string;
let neo: SupervisedNeo4j;
let driver: Driver;
let services: Services;
let app: ReturnType<typeof createApp>;
const supervisorEvents: string[] = [];

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers; ms: number }> {
  const started = performance.now();
  const res = await app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    headers: res.headers,
    ms: performance.now() - started,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-supervised-'));
  neo = await superviseEmbeddedNeo4j({
    dataDir: dir,
    heap: '512m',
    pageCache: '64m',
    backoffMs: 200,
    onEvent: (message) => supervisorEvents.push(message),
  });
  const base = readConfig({
    NEO4J_URI: neo.uri,
    NEO4J_USER: neo.user,
    NEO4J_PASSWORD: neo.password,
    PLEXUS_ADMIN_TOKEN: token,
    PLEXUS_CONFIG: '/dev/null',
    PLEXUS_BATCH_SIZE: '50',
  } as NodeJS.ProcessEnv);
  const config = { ...base, graphql: { rebuildDebounceMs: 20, modelPollMs: 0 }, demo: false };
  driver = createDriver({ ...config.neo4j, uri: neo.uri });
  services = await createServices(config, { driver }, silentLogger, { eagerSchema: false });
  app = createApp(services);
}, 600_000);

afterAll(async () => {
  services?.stop();
  await driver?.close();
  await neo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the embedded Neo4j dies during a bulk load', () => {
  it('answers 503 fast, restarts it, and keeps every acknowledged write', async () => {
    expect(
      (
        await call('POST', '/api/v1/blueprints', {
          identifier: 'box',
          title: 'Box',
          schema: { properties: { n: { type: 'integer' } } },
        })
      ).status,
    ).toBe(201);
    const entities = Array.from({ length: 2000 }, (_, i) => ({
      blueprint: 'box',
      identifier: `bulk-${i}`,
      properties: { n: i },
    }));

    // Kill -9 the JVM as soon as the first batch (50 entities) of the bulk committed.
    const firstPid = neo.pid();
    expect(firstPid).toBeDefined();
    let killed = false;
    const off = services.events.on((batch) => {
      if (!killed && batch.some((e) => e.type === 'entity.created' && e.identifier.startsWith('bulk-'))) {
        killed = true;
        process.kill(firstPid!, 'SIGKILL');
      }
    });

    // Single writes alongside the bulk, until the database is known to be down.
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const r = await call('POST', '/api/v1/blueprints/box/entities', {
          identifier: `single-${i}`,
          properties: { n: i },
        });
        if (r.status < 300) acknowledged.push(`single-${i}`);
        else expect(r.status).toBe(503);
        if (killed && r.status === 503) break;
      }
    })();

    const bulk = await call('POST', '/api/v1/entities/bulk', { entities });
    off();
    writing = false;
    await writer;
    expect(killed).toBe(true);
    // The bulk stopped part-way and says exactly what it committed.
    expect(bulk.status).toBe(503);
    expect(Number(bulk.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(bulk.body.error.code).toBe('service_unavailable');
    const committed: { index: number; blueprint: string; identifier: string; status: string }[] =
      bulk.body.error.committed;
    expect(committed.length).toBeGreaterThanOrEqual(50);
    expect(committed.length).toBeLessThan(2000);
    expect(bulk.body.error.committedCount).toBe(committed.length);
    expect(bulk.body.error.notCommittedCount).toBe(2000 - committed.length);
    expect(committed[0]).toMatchObject({
      index: 0,
      blueprint: 'box',
      identifier: 'bulk-0',
      status: 'created',
    });

    // While it is away: /readyz says 503 within a second, and requests fail fast with Retry-After.
    const readyzMs: number[] = [];
    const ready = await waitFor(
      '/readyz to answer 503',
      async () => {
        const r = await call('GET', '/readyz');
        readyzMs.push(r.ms);
        return r.status === 503 ? r : undefined;
      },
      30_000,
    );
    // Every answer meanwhile came fast, the 503 included.
    expect(Math.max(...readyzMs)).toBeLessThan(1500);
    expect(ready.body.checks.neo4j).toMatch(/^unreachable/);
    for (const [method, path, body] of [
      ['GET', '/api/v1/blueprints/box/entities/bulk-0'],
      ['GET', '/api/v1/blueprints/box/entities?limit=5'],
      ['POST', '/api/v1/blueprints/box/entities', { identifier: 'while-down', properties: { n: 1 } }],
      ['POST', '/api/v1/entities/bulk', { entities: entities.slice(0, 10) }],
    ] as const) {
      const r = await call(method, path, body);
      if (neo.pid() !== undefined && r.status < 300) break; // already back (a fast restart): covered below
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.headers.get('retry-after'), `${method} ${path}`).toMatch(/^\d+$/);
      expect(r.ms, `${method} ${path}`).toBeLessThan(2000);
    }

    // The supervisor restarts it on the same port; the driver reconnects by itself.
    await waitFor(
      'Neo4j to be restarted',
      // Bolt may answer a moment before the launcher prints its ready line (the supervisor counts
      // the restart then): wait for both.
      async () => (neo.restarts() >= 1 && (await call('GET', '/readyz')).body.checks.neo4j === 'ok' ? true : undefined),
      600_000,
      { diagnostics: () => `supervisor: ${JSON.stringify(supervisorEvents)}` },
    );
    expect((await call('GET', '/api/v1/blueprints/box/entities/bulk-0')).status).toBe(200);
    expect(neo.restarts()).toBe(1);
    expect(neo.pid()).not.toBe(firstPid);
    expect(supervisorEvents[0]).toBe('embedded Neo4j exited on its own; restarting it');
    expect(supervisorEvents.at(-1)).toBe('embedded Neo4j restarted');
    expect(
      (
        await call('POST', '/api/v1/blueprints/box/entities', {
          identifier: 'after-restart',
          properties: { n: 1 },
        })
      ).status,
    ).toBeLessThan(300);

    // Every acknowledged write is stored: the single writes and the committed part of the bulk.
    const stored = new Set(
      (
        await readRows<{ id: string }>(
          services.db,
          'MATCH (n:Entity {_blueprint: "box"}) RETURN n.identifier AS id',
        )
      ).map((r) => r.id),
    );
    for (const id of [...acknowledged, ...committed.map((c) => c.identifier), 'after-restart'])
      expect(stored.has(id), id).toBe(true);

    // Retrying the whole bulk is safe: what was committed is unchanged, the rest is created.
    const retry = await call('POST', '/api/v1/entities/bulk', { entities });
    expect(retry.status).toBe(200);
    expect(retry.body.upserted).toBe(2000);
    expect(retry.body.unchanged).toBeGreaterThanOrEqual(committed.length);
    expect(retry.body.created + retry.body.unchanged).toBe(2000);
  }, 900_000);
});
