import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoExecutor, startDemoExecutor } from '../../../../examples/demo-executor/executor.ts';
import { startServedPlexus, waitFor } from '../../actions/test-executor.ts';
import { uniqueId } from '../../test-support.ts';
import {
  demoPrincipal,
  ensureDemoExecutorCredentials,
  loadDemoActions,
  startDemoActions,
} from './demo-actions.ts';

/**
 * The demo end to end: the starter actions loaded through the actions service, run through the
 * signed webhook invoker against the demo executor, which reports back over HTTP with the run
 * token and changes the catalog with its own API token.
 */
let served: Awaited<ReturnType<typeof startServedPlexus>>;
let executor: DemoExecutor;
const secret = `demo-${randomBytes(16).toString('hex')}`;
const u = uniqueId('d');
const team = `team-${u}`;
const service = `svc-${u}`;
const env = `env-${u}`;
const db = `db-${u}`;
const person = `person-${u}`;

const api = (method: string, path: string, body?: unknown, token?: string | null) =>
  served.api(method, path, body, token);
const ended = (id: string) =>
  waitFor(
    `run ${id} to end`,
    async () => {
      const r = (await api('GET', `/api/v1/runs/${id}`)).body;
      return r?.endedAt ? r : null;
    },
    100_000,
  );
async function run(action: string, body: Record<string, unknown>, token?: string) {
  const res = await api('POST', `/api/v1/actions/${action}/runs`, body, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}
async function allLogs(id: string): Promise<string[]> {
  const out: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await api('GET', `/api/v1/runs/${id}/logs?after=${after}&limit=100`)).body;
    out.push(...page.logs.map((l: { message: string }) => l.message));
    if (page.next === null || page.next === undefined || page.logs.length === 0) return out;
    after = page.next;
  }
}

beforeAll(async () => {
  served = await startServedPlexus();
  // The demo's one pack: every starter action applies to one of its kinds.
  expect((await api('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  const bulk = await api('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: 'team', identifier: team, properties: {}, relations: {} },
      {
        blueprint: 'person',
        identifier: person,
        properties: { email: `${person}@acme.example` },
        relations: { memberOf: [team] },
      },
      { blueprint: 'environment', identifier: env, properties: { type: 'staging' }, relations: {} },
      {
        blueprint: 'service',
        identifier: service,
        properties: { language: 'go', lifecycle: 'production', tier: 2 },
        relations: { ownedBy: team },
      },
      {
        blueprint: 'cloudResource',
        identifier: db,
        properties: { type: 'database', provider: 'aws' },
        relations: { ownedBy: team },
      },
    ],
  });
  expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
  // The executor writes with its own member token, as the demo wiring gives it.
  const token = await api('POST', '/api/v1/tokens', { name: `demo-executor-${u}`, role: 'member' });
  executor = await startDemoExecutor({
    port: 0,
    secret,
    apiToken: token.body.token,
    plexusUrl: served.baseUrl,
    stepDelayMs: 0,
    log: () => {},
  });
  const loaded = await loadDemoActions(
    served.px.services.actions,
    demoPrincipal,
    { hookUrl: executor.hookUrl, secret },
    { blueprints: served.px.services.models.current().keys(), refresh: true },
  );
  expect(loaded.skipped).toEqual([]);
}, 180_000);

afterAll(async () => {
  await executor?.close();
  await served?.close();
});

describe('the demo actions against the demo executor', { timeout: 120_000 }, () => {
  it('deploy: the run ends SUCCESS with its log lines in order and the deployment it wrote listed as affected', async () => {
    const started = await run('deploy-service', {
      entity: `service:${service}`,
      inputs: { version: '1.4.2', environment: env },
    });
    expect(started.status).toBe('IN_PROGRESS');
    const done = await ended(started.id);
    expect(done.status, done.summary).toBe('SUCCESS');
    expect(done.summary).toBe(`${service} 1.4.2 deployed to ${env}`);
    const logs = await allLogs(started.id);
    expect(logs[0]).toMatch(/^Demo executor took run /);
    expect(logs.filter((l) => l.startsWith('Replica '))).toEqual(
      [1, 2, 3].map((i) => `Replica ${i}/3 of ${service} is healthy on 1.4.2`),
    );
    expect(logs.at(-1)).toBe(done.summary);
    expect(done.affectedEntities).toHaveLength(1);
    const [bp, id] = done.affectedEntities[0].split(':');
    expect(bp).toBe('deployment');
    const deployment = (await api('GET', `/api/v1/blueprints/deployment/entities/${encodeURIComponent(id)}`))
      .body;
    expect(deployment.properties).toMatchObject({ version: '1.4.2', status: 'succeeded' });
    expect(deployment.relations).toMatchObject({ deploys: service, environment: env });
  });

  it("toggle a feature flag and extend an environment's TTL change the catalog", async () => {
    const flag = await ended(
      (
        await run('toggle-feature-flag', {
          entity: `service:${service}`,
          inputs: { flag: 'dark-mode', enabled: true },
        })
      ).id,
    );
    expect(flag.status, flag.summary).toBe('SUCCESS');
    expect(flag.affectedEntities).toEqual([`service:${service}`]);
    const svc = (await api('GET', `/api/v1/blueprints/service/entities/${service}`)).body;
    expect(svc.properties.labels).toEqual({ 'feature.dark-mode': 'on' });
    expect(svc.properties.language).toBe('go');

    const before = Date.now();
    const ttl = await ended(
      (await run('extend-environment-ttl', { entity: `environment:${env}`, inputs: { days: 3 } })).id,
    );
    expect(ttl.status, ttl.summary).toBe('SUCCESS');
    const expiresAt = Date.parse(
      (await api('GET', `/api/v1/blueprints/environment/entities/${env}`)).body.properties.expiresAt,
    );
    expect(expiresAt - before).toBeGreaterThanOrEqual(3 * 86_400_000 - 1000);
    expect(expiresAt - before).toBeLessThan(3 * 86_400_000 + 120_000);
  });

  it('database access waits for approval, then grants a temporary permission', async () => {
    const member = (await api('POST', '/api/v1/tokens', { name: `req-${u}`, role: 'member' })).body.token;
    const started = await run(
      'request-database-access',
      {
        entity: `cloudResource:${db}`,
        inputs: { grantee: person, access: 'read', hours: 2, reason: 'investigating a slow query' },
      },
      member,
    );
    expect(started.status).toBe('WAITING_FOR_APPROVAL');
    expect(executor.stats.accepted).toBeGreaterThan(0);
    const accepted = executor.stats.accepted;
    const approved = await api('POST', `/api/v1/runs/${started.id}/approval`, {
      decision: 'approve',
      reason: 'ok',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const done = await ended(started.id);
    expect(done.status, done.summary).toBe('SUCCESS');
    expect(executor.stats.accepted).toBe(accepted + 1);
    const [bp, id] = done.affectedEntities[0].split(':');
    expect(bp).toBe('permission');
    const grant = (await api('GET', `/api/v1/blueprints/permission/entities/${encodeURIComponent(id)}`)).body;
    expect(grant.properties).toMatchObject({
      action: 'read',
      temporary: true,
      reason: 'investigating a slow query',
    });
    expect(Date.parse(grant.properties.expiresAt) - Date.parse(grant.properties.grantedAt)).toBe(
      2 * 3_600_000,
    );
  });

  it('roll back records the earlier version', async () => {
    const back = await ended(
      (
        await run('rollback-service', {
          entity: `service:${service}`,
          inputs: { environment: env, version: '1.4.1', reason: 'error rate up' },
        })
      ).id,
    );
    expect(back.status, back.summary).toBe('SUCCESS');
    expect(back.summary).toBe(`${service} rolled back to 1.4.1 in ${env}`);
    expect(await allLogs(back.id)).toContain('Reason: error rate up');
  });

  it('scaffold creates a service and decommission removes one', async () => {
    const name = `new-${u}`.toLowerCase();
    const created = await ended(
      (await run('scaffold-service', { inputs: { name, language: 'typescript', tier: 3, owner: team } })).id,
    );
    expect(created.status, created.summary).toBe('SUCCESS');
    expect(created.affectedEntities).toEqual([`service:${name}`]);
    const svc = (await api('GET', `/api/v1/blueprints/service/entities/${name}`)).body;
    expect(svc).toMatchObject({
      properties: { lifecycle: 'experimental', language: 'typescript' },
      relations: { ownedBy: team },
    });

    const gone = await ended(
      (await run('decommission-service', { entity: `service:${name}`, inputs: { reason: 'replaced' } })).id,
    );
    expect(gone.status, gone.summary).toBe('SUCCESS');
    expect((await api('GET', `/api/v1/blueprints/service/entities/${name}`)).status).toBe(404);
  });
});

describe('demo executor credentials', () => {
  it('are generated once, kept mode 0600, reused, and a token the store does not know is replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-demo-creds-'));
    try {
      const tokens = served.px.services.tokens;
      const first = await ensureDemoExecutorCredentials(tokens, dir);
      expect(first.fresh).toBe(true);
      expect(await tokens.verify(first.apiToken)).toMatchObject({ role: 'member' });
      const again = await ensureDemoExecutorCredentials(tokens, dir);
      expect(again).toEqual({ ...first, fresh: false });
      const file = join(dir, 'demo-executor.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...saved, apiToken: 'plx_not_a_real_token' }));
      const replaced = await ensureDemoExecutorCredentials(tokens, dir);
      expect(replaced.secret).toBe(first.secret);
      expect(replaced.apiToken).not.toBe('plx_not_a_real_token');
      expect(await tokens.verify(replaced.apiToken)).not.toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what npm start does with the demo on', { timeout: 180_000 }, () => {
  it('startDemoActions spawns the executor process and points the starter actions at it; a deploy runs through it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-demo-start-'));
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((ok) => probe.close(() => ok()));
    const started = await startDemoActions(served.px.services, {
      dataDir: dir,
      plexusUrl: served.baseUrl,
      env: { DEMO_EXECUTOR_PORT: String(port) },
    });
    try {
      expect(started.hookUrl).toBe(`http://127.0.0.1:${port}/hooks/plexus`);
      // The actions were re-pointed at the new executor and its fresh secret.
      expect((await api('GET', '/api/v1/actions/deploy-service')).body.invoker).toMatchObject({
        url: started.hookUrl,
        secret: '********',
      });
      await waitFor(
        'the executor process to listen',
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok,
      );
      const done = await ended(
        (
          await run('deploy-service', {
            entity: `service:${service}`,
            inputs: { version: '2.0.0', environment: env },
          })
        ).id,
      );
      expect(done.status, done.summary).toBe('SUCCESS');
      expect(done.summary).toBe(`${service} 2.0.0 deployed to ${env}`);
    } finally {
      started.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
