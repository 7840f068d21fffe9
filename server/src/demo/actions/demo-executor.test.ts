import { createServer } from 'node:net';
import { signTimestamped } from '@plexus/connector-sdk';
import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { afterEach, describe, expect, it } from 'vitest';
import { type DemoExecutor, startDemoExecutor } from '../../../../examples/demo-executor/executor.ts';
import { handlers, refId } from '../../../../examples/demo-executor/handlers.ts';
import { apiRoot } from '../../../../examples/demo-executor/plexus-client.ts';
import { silentLogger } from '../../log.ts';
import {
  demoActionDefinitions,
  demoExecutorSettings,
  readDemoActions,
  spawnDemoExecutor,
} from './demo-actions.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

const secret = 'demo-secret-0123456789abcdef0123456789';
const apiToken = 'plx_executor_api_token';
let plexus: FakeServer;
let executor: DemoExecutor;
/** Entities the fake Plexus holds, by `blueprint:identifier`. */
let store: Map<string, Record<string, unknown>>;

/** While set, the fake Plexus holds its answers until it resolves (to act in the middle of a run). */
let gate: Promise<void> | null = null;

async function start() {
  store = new Map([
    [
      'service:cart',
      { identifier: 'cart', properties: { language: 'go', labels: { team: 'orders' } }, relations: {} },
    ],
  ]);
  plexus = await startFakeServer(async (req) => {
    if (gate) await gate;
    const entity = /^\/api\/v1\/blueprints\/([^/]+)\/entities(?:\/([^/]+))?$/.exec(req.path);
    if (entity && req.headers.authorization !== `Bearer ${apiToken}`)
      return { status: 401, body: { error: { message: 'no' } } };
    if (entity && req.method === 'GET') {
      const e = store.get(`${entity[1]}:${decodeURIComponent(entity[2])}`);
      return e ? { body: e } : { status: 404, body: { error: { message: 'not found' } } };
    }
    if (entity && req.method === 'POST') {
      const body = JSON.parse(req.body);
      const key = `${entity[1]}:${body.identifier}`;
      const before = store.get(key) as { properties?: object } | undefined;
      store.set(key, { ...body, properties: { ...before?.properties, ...body.properties } });
      return { status: before ? 200 : 201, body };
    }
    if (entity && req.method === 'DELETE') {
      store.delete(`${entity[1]}:${decodeURIComponent(entity[2])}`);
      return { status: 204, body: '' };
    }
    if (/^\/api\/v1\/runs\/[^/]+(\/logs)?$/.test(req.path)) {
      if (req.headers.authorization !== 'Bearer run-token-1')
        return { status: 401, body: { error: { message: 'bad run token' } } };
      return { body: { id: 'run-1' } };
    }
    return { status: 404, body: {} };
  });
  executor = await startDemoExecutor({
    port: 0,
    secret,
    apiToken,
    plexusUrl: plexus.url,
    stepDelayMs: 0,
    log: () => {},
  });
}

afterEach(async () => {
  gate = null;
  await executor?.close();
  await plexus?.close();
});

function payload(action: string, inputs: Record<string, unknown>, entity: unknown = null) {
  return {
    run: { id: 'run-1', token: 'run-token-1', apiUrl: `${plexus.url}/api/v1` },
    action: { identifier: action, title: action, operation: 'DAY-2', blueprint: 'service' },
    entity,
    inputs,
    trigger: { by: 'jane', at: new Date().toISOString() },
  };
}

async function deliver(body: unknown, options: { secret?: string; timestamp?: number } = {}) {
  const raw = JSON.stringify(body);
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(executor.hookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-plexus-timestamp': String(ts),
      'x-plexus-signature': signTimestamped(options.secret ?? secret, ts, raw),
    },
    body: raw,
  });
}

/** What the executor said to the fake Plexus, in order. */
const calls = () =>
  plexus.requests.map((r) => ({
    method: r.method,
    path: r.path,
    query: Object.fromEntries(r.query),
    auth: r.headers.authorization,
    body: r.body ? JSON.parse(r.body) : null,
  }));

describe('demo executor', () => {
  it('verifies the signature, answers 202, reports progress and logs, writes with its own token and ?runId, and ends SUCCESS', async () => {
    await start();
    const entity = { identifier: 'cart', blueprint: 'service', title: 'Cart', properties: {}, relations: {} };
    const res = await deliver(payload('toggle-feature-flag', { flag: 'dark-mode', enabled: true }, entity));
    expect(res.status).toBe(202);
    await executor.idle();

    const seen = calls();
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/runs/run-1',
      auth: 'Bearer run-token-1',
      body: { statusLabel: 'Starting' },
    });
    const write = seen.find((c) => c.method === 'POST' && c.path === '/api/v1/blueprints/service/entities')!;
    expect(write).toMatchObject({ auth: `Bearer ${apiToken}`, query: { runId: 'run-1', merge: 'true' } });
    expect(write.body).toEqual({
      identifier: 'cart',
      properties: { labels: { team: 'orders', 'feature.dark-mode': 'on' } },
    });
    const logs = seen.filter((c) => c.path === '/api/v1/runs/run-1/logs').map((c) => c.body);
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(logs.at(-1)).toEqual({
      message: 'Feature flag dark-mode turned on for cart',
      terminationStatus: 'SUCCESS',
    });
    expect(logs.slice(0, -1).every((l) => l.terminationStatus === undefined)).toBe(true);
    expect(executor.stats).toMatchObject({ accepted: 1, succeeded: 1, refused: 0 });
  });

  it('refuses a forged or a replayed (older than 5 minutes) delivery with 401 and does nothing', async () => {
    await start();
    const body = payload('toggle-feature-flag', { flag: 'x', enabled: true });
    expect((await deliver(body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await deliver(body, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status).toBe(401);
    const unsigned = await fetch(executor.hookUrl, { method: 'POST', body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    expect(plexus.requests).toHaveLength(0);
    expect(executor.stats).toMatchObject({ accepted: 0, refused: 3 });
  });

  it('runs a run id once even when the delivery comes again', async () => {
    await start();
    const body = payload('unknown-action', { a: 1 });
    expect((await deliver(body)).status).toBe(202);
    const again = await deliver(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', run: 'run-1' });
    await executor.idle();
    expect(executor.stats).toMatchObject({ accepted: 1, duplicates: 1, succeeded: 1 });
  });

  it('ends the run FAILURE with the reason when the work fails', async () => {
    await start();
    const res = await deliver(payload('toggle-feature-flag', { flag: 'x', enabled: true }, null));
    expect(res.status).toBe(202);
    await executor.idle();
    const logs = calls()
      .filter((c) => c.path === '/api/v1/runs/run-1/logs')
      .map((c) => c.body);
    expect(logs.at(-1)).toEqual({
      message: 'Failed: toggle-feature-flag needs a target entity',
      terminationStatus: 'FAILURE',
    });
    expect(executor.stats.failed).toBe(1);
  });

  it('stops a run Plexus says was cancelled before its next step, reporting nothing more', async () => {
    await start();
    let open = () => {};
    gate = new Promise<void>((ok) => {
      open = ok;
    });
    const entity = { identifier: 'cart', blueprint: 'service', properties: {}, relations: {} };
    expect((await deliver(payload('toggle-feature-flag', { flag: 'x', enabled: true }, entity))).status).toBe(
      202,
    );
    const cancel = await deliver({
      event: 'run.cancelled',
      run: { id: 'run-1' },
      action: { identifier: 'toggle-feature-flag' },
    });
    expect(cancel.status).toBe(200);
    gate = null;
    open();
    await executor.idle();
    expect(executor.stats).toMatchObject({ cancelled: 1, succeeded: 0, failed: 0 });
    expect(calls().some((c) => c.path.includes('/entities'))).toBe(false);
    expect(calls().some((c) => c.body?.terminationStatus)).toBe(false);
  });

  it('refuses a signed body that is not a run payload with 400', async () => {
    await start();
    const res = await deliver({ hello: 'world' });
    expect(res.status).toBe(400);
  });
});

describe('starter actions', () => {
  it('every starter action has a handler in the demo executor and a webhook invoker to it', () => {
    const defs = demoActionDefinitions({ hookUrl: 'http://127.0.0.1:4100/hooks/plexus', secret });
    expect(defs.map((d) => d.identifier).sort()).toEqual(Object.keys(handlers).sort());
    for (const d of defs)
      expect(d.invoker).toMatchObject({ type: 'webhook', url: 'http://127.0.0.1:4100/hooks/plexus', secret });
  });

  it("cover CREATE, DAY-2 and DELETE, and database access needs the owning team's approval", () => {
    const defs = readDemoActions();
    expect(new Set(defs.map((d) => d.operation))).toEqual(new Set(['CREATE', 'DAY-2', 'DELETE']));
    const access = defs.find((d) => d.identifier === 'request-database-access')!;
    expect(access.approval).toEqual({ required: true, type: 'ANY', approvers: { owners: true } });
    for (const d of defs) {
      const names = Object.keys(d.inputs.properties);
      for (const r of d.inputs.required ?? []) expect(names, `${d.identifier} requires ${r}`).toContain(r);
      for (const s of d.inputs.steps ?? []) for (const p of s.properties) expect(names).toContain(p);
    }
  });

  it('reads entity-picker values in each form the UI may send', () => {
    expect(refId('staging')).toBe('staging');
    expect(refId('environment:staging')).toBe('staging');
    expect(refId({ identifier: 'staging', blueprint: 'environment' })).toBe('staging');
    expect(apiRoot('http://h:4000')).toBe('http://h:4000/api/v1');
    expect(apiRoot('http://h:4000/api/v1/')).toBe('http://h:4000/api/v1');
    expect(apiRoot('http://h:4000/api/v1/runs/r1')).toBe('http://h:4000/api/v1');
  });
});

describe('the demo executor process', () => {
  it('starts as its own process with the settings it is given and refuses an unsigned delivery', async () => {
    // A free port: bind one, release it, give it to the executor.
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((ok) => probe.close(() => ok()));
    const lines: string[] = [];
    const logger = {
      ...silentLogger,
      info: (m: string) => void lines.push(m),
      warn: (m: string) => void lines.push(m),
    };
    const executor = spawnDemoExecutor({ port, secret, apiToken, plexusUrl: 'http://127.0.0.1:9', logger });
    try {
      const health = await waitFor(
        'the executor to listen',
        () => fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null),
        30_000,
      );
      expect(health.status).toBe(200);
      const refused = await fetch(executor.hookUrl, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(401);
      expect(lines.some((l) => l.includes('listening'))).toBe(true);
    } finally {
      executor.stop();
      await new Promise((ok) =>
        executor.child.exitCode !== null ? ok(null) : executor.child.once('exit', ok),
      );
    }
  }, 60_000);

  it('reads its port from DEMO_EXECUTOR_PORT and says what is wrong with a bad one', () => {
    expect(demoExecutorSettings({})).toEqual({ port: 4100, egressAllow: '127.0.0.1:4100' });
    expect(demoExecutorSettings({ DEMO_EXECUTOR_PORT: '4200' }).egressAllow).toBe('127.0.0.1:4200');
    expect(() => demoExecutorSettings({ DEMO_EXECUTOR_PORT: 'x' })).toThrow(
      /DEMO_EXECUTOR_PORT "x" is not a port number/,
    );
  });
});
