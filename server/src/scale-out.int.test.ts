import { pluralFieldOf } from '@plexus/contract';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from './app.ts';
import { type PlexusConfig, readConfig } from './config.ts';
import { createDriver, readRows } from './db/driver.ts';
import { listLeases } from './db/lease.ts';
import { silentLogger } from './log.ts';
import { createServices, type Services } from './services.ts';
import { uniqueId } from './test-support.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/** One server replica: its own driver, services and app, on the one test Neo4j. */
interface Replica {
  name: string;
  services: Services;
  /** Set once its connection is closed (the replica "died"). */
  dead?: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of several shapes, checked by each test
  call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
}

const adminToken = `scale-admin-${uniqueId('')}`;
// Leases of this file's replicas only: other test files' replicas share the database.
const leasePrefix = `${uniqueId('scale')}:`;
const modelPollMs = 250;
const leaseTtlMs = 3000;
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const base = readConfig({
    NEO4J_URI: inject('neo4jUri'),
    NEO4J_USER: inject('neo4jUser'),
    NEO4J_PASSWORD: inject('neo4jPassword'),
    PLEXUS_ADMIN_TOKEN: adminToken,
    PLEXUS_CONFIG: '/dev/null',
  } as NodeJS.ProcessEnv);
  const config: PlexusConfig = {
    ...base,
    demo: false,
    graphql: { rebuildDebounceMs: 20, modelPollMs },
    // Short periods, except scorecard full runs: those would re-evaluate every test's scorecards.
    scheduler: { leaseTtlMs, sourceTickMs: 300, scorecardRunMs: 3_600_000, auditPruneMs: 300 },
  };
  const driver = createDriver({ ...config.neo4j, uri: config.neo4j.uri! });
  const services = await createServices(config, { driver }, silentLogger, {
    eagerSchema: false,
    leasePrefix,
  });
  const app = createApp(services);
  const replica: Replica = {
    name,
    services,
    async call(method, path, body, token = adminToken) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.request(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
  };
  replicas.push(replica);
  return replica;
}

let a: Replica;
let b: Replica;
// Reads the leases on a connection of its own, which outlives the replica that dies.
let observer: Driver;
const blueprints: string[] = [];

beforeAll(async () => {
  observer = createDriver({
    uri: inject('neo4jUri'),
    user: inject('neo4jUser'),
    password: inject('neo4jPassword'),
  });
  a = await startReplica('a');
  b = await startReplica('b');
}, 300_000);

afterAll(async () => {
  const alive = replicas.find((r) => !r.dead);
  for (const id of blueprints.reverse())
    await alive?.call('DELETE', `/api/v1/blueprints/${id}?force=true`).catch(() => {});
  for (const r of replicas) {
    r.services.stop();
    if (!r.dead) await r.services.db.driver.close().catch(() => {});
  }
  await observer?.close();
}, 300_000);

describe('two replicas on one Neo4j', () => {
  it('serve on one a blueprint created on the other, within seconds, in GraphQL and REST', async () => {
    const id = uniqueId('scaled');
    blueprints.push(id);
    // B has built its schema before the change, as a running replica would have.
    expect((await b.call('POST', '/graphql', { query: '{ __typename }' })).status).toBe(200);
    const created = await a.call('POST', '/api/v1/blueprints', {
      identifier: id,
      title: 'Scaled',
      schema: { properties: { colour: { type: 'string' } } },
    });
    expect(created.status).toBe(201);
    expect(
      (
        await a.call('POST', `/api/v1/blueprints/${id}/entities`, {
          identifier: 'e1',
          properties: { colour: 'teal' },
        })
      ).status,
    ).toBeLessThan(300);
    // B learns of the change by polling the stored model version, then rebuilds its schema.
    const version = a.services.models.version();
    await waitFor(
      'replica b to load the changed model',
      async () => (b.services.models.version() >= version ? true : undefined),
      60_000,
    );
    const list = await waitFor(
      'replica b to serve the new type',
      async () => {
        const r = await b.call('POST', '/graphql', {
          query: `{ ${pluralFieldOf(id)} { identifier colour } }`,
        });
        return r.body?.errors ? undefined : r.body.data[pluralFieldOf(id)];
      },
      180_000,
    );
    expect(list).toEqual([{ identifier: 'e1', colour: 'teal' }]);
    expect((await b.call('GET', `/api/v1/blueprints/${id}`)).status).toBe(200);
  }, 300_000);

  it('refuse a token revoked on one replica on both', async () => {
    const created = await a.call('POST', '/api/v1/tokens', { name: uniqueId('revoked-'), role: 'viewer' });
    expect(created.status).toBe(201);
    const { id, token } = created.body as { id: string; token: string };
    // Both replicas accept it (and B caches the verification).
    expect((await a.call('GET', '/api/v1/blueprints', undefined, token)).status).toBe(200);
    expect((await b.call('GET', '/api/v1/blueprints', undefined, token)).status).toBe(200);
    expect((await a.call('DELETE', `/api/v1/tokens/${id}`)).status).toBeLessThan(300);
    expect((await a.call('GET', '/api/v1/blueprints', undefined, token)).status).toBe(401);
    // B's cache of verified tokens lasts seconds, so the revocation reaches it within them.
    await waitFor(
      'replica b to refuse the revoked token',
      async () =>
        (await b.call('GET', '/api/v1/blueprints', undefined, token)).status === 401 ? true : undefined,
      30_000,
    );
    expect((await b.call('POST', '/graphql', { query: '{ __typename }' }, token)).status).toBe(401);
  }, 120_000);

  it('run each scheduled job on one replica at a time, once per period, and hand it over when the holder dies', async () => {
    const periodMs = 300;
    const runs: { replica: string; at: number }[] = [];
    for (const r of [a, b])
      r.services.jobs.every('probe', periodMs, async ({ at }) => void runs.push({ replica: r.name, at }));
    const ours = async () =>
      (await listLeases({ driver: observer })).filter((l) => l.name.startsWith(leasePrefix));
    const holders = new Map([
      [a.services.jobs.holder, a],
      [b.services.jobs.holder, b],
    ]);
    // Source syncs, scorecard full runs, audit pruning and the probe: each held by one of the two.
    const held = await waitFor('every job to have a holder', async () => {
      const leases = await ours();
      const names = leases
        .filter((l) => l.holder && holders.has(l.holder))
        .map((l) => l.name.slice(leasePrefix.length));
      return ['action-run-timeouts', 'audit-prune', 'probe', 'scorecards-full-runs', 'sources-scheduler'].every((n) =>
        names.includes(n),
      )
        ? leases
        : undefined;
    });
    expect(held.map((l) => l.name.slice(leasePrefix.length)).sort()).toEqual([
      'action-run-timeouts',
      'audit-prune',
      'probe',
      'scorecards-full-runs',
      'sources-scheduler',
    ]);
    await waitFor('audit pruning, the source scheduler and the probe to run', async () => {
      const leases = await ours();
      const runsOf = (n: string) => leases.find((l) => l.name === `${leasePrefix}${n}`)?.runs ?? 0;
      return runsOf('audit-prune') >= 2 && runsOf('sources-scheduler') >= 2 && runs.length >= 4
        ? true
        : undefined;
    });
    // The holder of the probe dies without releasing anything.
    const probe = (await ours()).find((l) => l.name === `${leasePrefix}probe`)!;
    const dead =
      holders.get(probe.holder!) ??
      holders.get(runs.at(-1)!.replica === 'a' ? a.services.jobs.holder : b.services.jobs.holder)!;
    const survivor = dead === a ? b : a;
    const deadHolder = dead.services.jobs.holder;
    dead.dead = true;
    await dead.services.db.driver.close();
    const expiries = new Map(
      (await ours()).filter((l) => l.holder === deadHolder).map((l) => [l.name, l.until!]),
    );
    const [{ now }] = await readRows<{ now: number }>({ driver: observer }, 'RETURN timestamp() AS now');
    await waitFor(
      'the survivor to hold every job',
      async () =>
        (await ours()).every((l) => l.holder === survivor.services.jobs.holder) ? true : undefined,
      60_000,
    );
    const takeover = await waitFor(
      'the survivor to run the probe',
      async () => runs.find((r) => r.replica === survivor.name && r.at > now),
      30_000,
    );
    const expiry = expiries.get(`${leasePrefix}probe`);
    if (expiry !== undefined) expect(takeover.at).toBeGreaterThan(expiry);
    // Once per period across replicas, before and after the hand-over.
    const ats = runs.map((r) => r.at).sort((x, y) => x - y);
    for (let i = 1; i < ats.length; i++) expect(ats[i] - ats[i - 1]).toBeGreaterThanOrEqual(periodMs);
  }, 150_000);
});
