import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { labelOf, pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type PlexusConfig, readConfig } from '../config.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Issue 15, "never stall": a blueprint change rebuilds the GraphQL schema (seconds of CPU for a
// big model) while REST, /healthz and the previous schema keep answering at normal latency.

const prefix = uniqueId('lat');
const idOf = (i: number) => `${prefix}k${String(i).padStart(2, '0')}`;
/**
 * Grows the model without building GraphQL schemas (a lazy server that no GraphQL request
 * reaches): an eager server built a schema after each of the 50 blueprints, most of this file's
 * five minutes. Each test then starts an eager server on the grown model, as a replica starting
 * on an existing catalog does, and measures one change there.
 */
let grower: TestPlexus;
let px: TestPlexus;
let url: string;
let count = 0;

/** A blueprint shaped like real ones (the schema bench's shape): properties of every kind, an owner, a many-relation and a polymorphic one. */
function blueprint(i: number) {
  const relations: Record<string, unknown> = {};
  if (i > 0) {
    relations.ownedBy = { title: 'Owned by', target: idOf(0), many: false };
    relations.dependsOn = { title: 'Depends on', target: idOf(i - 1), many: true, inverse: `dependents${i}` };
  }
  if (i >= 13) relations.relatedTo = { title: 'Related to', target: [idOf(i - 7), idOf(i - 13)], many: true };
  return {
    identifier: idOf(i),
    title: `Kind ${i}`,
    schema: {
      properties: {
        description: { type: 'string', format: 'markdown' },
        url: { type: 'string', format: 'url' },
        status: { type: 'string', enum: ['active', 'deprecated', 'retired'] },
        size: { type: 'integer', minimum: 0 },
        score: { type: 'number' },
        enabled: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        labels: { type: 'object' },
      },
    },
    relations,
  };
}

async function growModelTo(n: number) {
  // The previous test's server added and removed a blueprint: the grower reloads the model first.
  await grower.services.models.refresh();
  for (; count < n; count++) {
    const r = await grower.call('POST', '/api/v1/blueprints', blueprint(count));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
}

/** Starts an eager server on the model as it is (its workers build the schema once) and serves it over HTTP. */
async function startEagerServer(auth: PlexusConfig['auth']) {
  px = await startTestPlexus({ auth }, { eagerSchema: true });
  const server = await new Promise<ReturnType<typeof serve>>((ok) => {
    const s = serve({ fetch: px.app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await settle();
  return async () => {
    await new Promise((ok) => server.close(ok));
    await px.close();
  };
}

/** Waits until every GraphQL worker serves the model's version (none is building). */
async function settle() {
  const version = px.services.models.version();
  await px.services.schemas.ready(version);
  const until = Date.now() + 300_000;
  while (!px.services.schemas.workers().every((w) => w.version >= version && !w.building)) {
    if (Date.now() > until) throw new Error('the GraphQL workers did not all reach the model version');
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

async function post(path: string, body: unknown) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${px.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

interface Sample {
  what: string;
  ms: number;
  status: number;
  /** Sent before the blueprint change (the machine's own noise). */
  baseline: boolean;
}

/**
 * Every 20 ms: /healthz and a REST entity read; every 100 ms (when the previous one has
 * answered) a GraphQL query on a type of the old model. Each request's latency is measured from when it was sent.
 */
function startPolling() {
  const samples: Sample[] = [];
  const graphql: { ms: number; ok: boolean; during: boolean; version: number }[] = [];
  const pending: Promise<unknown>[] = [];
  let rebuilding = false;
  let baseline = true;
  const time = (what: string, path: string) => {
    const started = performance.now();
    const inBaseline = baseline;
    pending.push(
      fetch(`${url}${path}`, { headers: { authorization: `Bearer ${px.adminToken}` } }).then(
        async (res) => {
          await res.arrayBuffer();
          samples.push({ what, ms: performance.now() - started, status: res.status, baseline: inBaseline });
        },
        () => samples.push({ what, ms: performance.now() - started, status: 0, baseline: inBaseline }),
      ),
    );
  };
  let tick = 0;
  let graphqlInFlight = false;
  const timer = setInterval(() => {
    time('healthz', '/healthz');
    time('entity', `/api/v1/blueprints/${idOf(0)}/entities/e0`);
    // One GraphQL query at a time, as a polling client sends them: on a slow machine queries
    // sent every 100 ms regardless would pile up past the per-caller cap on heavy reads (429).
    if (tick++ % 5 === 0 && !graphqlInFlight) {
      const started = performance.now();
      graphqlInFlight = true;
      pending.push(
        post('/graphql', {
          query: `{ plexusModelVersion ${pluralFieldOf(idOf(0))}(where: { identifier: { eq: "e0" } }) { identifier status } }`,
        })
          .then(async (res) => {
            const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
            const ok =
              res.status === 200 &&
              !body.errors &&
              body.data?.[pluralFieldOf(idOf(0))]?.[0]?.identifier === 'e0';
            // Answered while the new schema was still building.
            graphql.push({
              ms: performance.now() - started,
              ok,
              during: rebuilding,
              version: body.data?.plexusModelVersion ?? -1,
            });
          })
          .catch(() =>
            graphql.push({ ms: performance.now() - started, ok: false, during: rebuilding, version: -1 }),
          )
          .finally(() => {
            graphqlInFlight = false;
          }),
      );
    }
  }, 20);
  return {
    samples,
    graphql,
    setRebuilding(v: boolean) {
      rebuilding = v;
      if (v) baseline = false;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** Adds one blueprint while polling; returns what the pollers saw. */
async function changeModelWhilePolling() {
  const poll = startPolling();
  // A baseline first: how slow answers are on this machine right now without a rebuild.
  const until = Date.now() + 60_000;
  while (poll.samples.length < 100 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 20));
  const fresh = uniqueId(`${prefix}new`);
  poll.setRebuilding(true);
  const changeStarted = performance.now();
  const created = await px.call('POST', '/api/v1/blueprints', {
    identifier: fresh,
    title: 'Fresh',
    schema: { properties: { colour: { type: 'string' } } },
  });
  const changeMs = performance.now() - changeStarted;
  expect(created.status).toBe(201);
  const version = px.services.models.version();
  await px.services.schemas.ready(version);
  poll.setRebuilding(false);
  const rebuildMs = performance.now() - changeStarted;
  // The new type is served after the swap.
  const r = await post('/graphql', {
    query: `{ __type(name: "${labelOf(fresh)}") { name } plexusModelVersion }`,
  });
  const body = (await r.json()) as { data?: { __type?: { name: string }; plexusModelVersion: number } };
  // A few more samples after the swap.
  const after = poll.samples.length + 10;
  while (poll.samples.length < after && Date.now() < until + 60_000)
    await new Promise((ok) => setTimeout(ok, 20));
  await poll.stop();
  await px.call('DELETE', `/api/v1/blueprints/${fresh}?force=true`);
  const max = (what: string, baseline = false) =>
    Math.max(0, ...poll.samples.filter((s) => s.what === what && s.baseline === baseline).map((s) => s.ms));
  const report = {
    blueprints: count,
    baselineMaxMs: Math.round(Math.max(max('healthz', true), max('entity', true))),
    changeMs: Math.round(changeMs),
    rebuildMs: Math.round(rebuildMs),
    healthzMaxMs: Math.round(max('healthz')),
    entityMaxMs: Math.round(max('entity')),
    samples: poll.samples.length,
    graphqlDuringRebuild: poll.graphql.filter((g) => g.during).length,
    graphqlMaxMs: Math.round(Math.max(...poll.graphql.map((g) => g.ms))),
    workerHeapMb: px.services.schemas.workers().map((w) => Math.round(w.heapBytes / 1048576)),
  };
  console.log('rebuild latency', JSON.stringify(report));
  return { poll, report, served: body, fresh, version };
}

/** The pollers send ~50 requests a second with one token: above the default rate limit. */
const { auth } = readConfig({
  PLEXUS_CONFIG: '/dev/null',
  PLEXUS_RATE_LIMIT: '1000000',
  PLEXUS_RATE_BURST: '100000',
} as NodeJS.ProcessEnv);

beforeAll(async () => {
  grower = await startTestPlexus({ auth });
  await growModelTo(1);
  const e = await grower.call('POST', `/api/v1/blueprints/${idOf(0)}/entities`, {
    identifier: 'e0',
    properties: { status: 'active' },
  });
  expect(e.status).toBe(201);
}, 300_000);

// The grower removes the blueprints it created, sources of relations before their targets.
afterAll(() => grower?.close(), 300_000);

describe('a schema rebuild stalls nothing', () => {
  for (const n of [20, 50]) {
    it(`keeps /healthz, REST reads and the previous GraphQL schema answering while ${n} blueprints rebuild`, async () => {
      await growModelTo(n);
      const stop = await startEagerServer(auth);
      onTestFinished(stop);
      const { poll, report, served, fresh, version } = await changeModelWhilePolling();
      expect(poll.samples.every((s) => s.status === 200)).toBe(true);
      expect(report.samples).toBeGreaterThan(120);
      // 250 ms on top of the machine's own noise (the slowest answer in the seconds before the
      // change, same polling): on a shared 2-core machine at load 25 that noise alone reached
      // seconds. Before the fix a request waited for the whole build (30 s with 20 blueprints on
      // that machine, 1-9 s on an idle one), far above both.
      const bound = 250 + report.baselineMaxMs;
      expect(report.healthzMaxMs).toBeLessThan(bound);
      // The REST read also waits on Neo4j, which the other test files of an `npm test` run share
      // (and a build takes one of the two cores): it gets the noise twice. A stalled event loop
      // would still show as the whole build (seconds).
      expect(report.entityMaxMs).toBeLessThan(250 + 2 * report.baselineMaxMs);
      // A blueprint change answers once stored, not after the rebuild.
      expect(report.changeMs).toBeLessThan(Math.max(1_000, report.rebuildMs / 2));
      // GraphQL kept answering from the old schema during the rebuild, then serves the new type.
      expect(poll.graphql.every((g) => g.ok)).toBe(true);
      expect(report.graphqlDuringRebuild).toBeGreaterThan(0);
      expect(served.data?.__type?.name).toBe(labelOf(fresh));
      expect(served.data?.plexusModelVersion).toBeGreaterThanOrEqual(version);
    }, 1_200_000);
  }
});
