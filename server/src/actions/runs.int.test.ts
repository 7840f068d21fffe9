import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { verifyTimestampedSignature } from '@plexus/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { callJson, startTestExecutor, waitFor } from './test-executor.ts';

/**
 * Runs end to end: Plexus served on 127.0.0.1, a real executor that verifies the signed webhook
 * and reports back over HTTP with the run token, entity upserts with ?runId, approvals, cancel,
 * re-run, timeouts, redaction and the live event stream.
 */

let px: TestPlexus;
let server: Server;
let baseUrl: string;
let bp: string;
let memberToken: string;
let memberId: string;
let otherToken: string;
let viewerToken: string;
const secret = `whsec-${randomBytes(12).toString('hex')}`;
type Executor = Awaited<ReturnType<typeof startTestExecutor>>;
const executors: Executor[] = [];

function api(method: string, path: string, body?: unknown, token: string | null = px.adminToken) {
  return callJson(`${baseUrl}${path}`, method, body, token);
}

/** What a real executor does with a run: progress, log lines, an entity upsert with ?runId, the end. */
async function reportLikeAnEngine(
  payload: any,
  options: { upsert?: string; end?: 'SUCCESS' | 'FAILURE'; writerToken?: string } = {},
) {
  const { run } = payload;
  const call = (method: string, path: string, body: unknown, token = run.token) =>
    fetch(`${run.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await call('PATCH', `/runs/${run.id}`, {
    statusLabel: 'deploying',
    link: 'https://ci.example.com/build/1',
  });
  for (let i = 1; i <= 3; i++) await call('POST', `/runs/${run.id}/logs`, { message: `step ${i}` });
  if (options.upsert) {
    // With the executor's own API token: the run token grants no entity writes.
    await call(
      'POST',
      `/blueprints/${bp}/entities?runId=${run.id}`,
      { identifier: options.upsert, title: options.upsert, properties: { version: payload.inputs.version } },
      options.writerToken ?? px.adminToken,
    );
  }
  if (options.end)
    await call('POST', `/runs/${run.id}/logs`, { message: 'finished', terminationStatus: options.end });
}

async function executor(onRun?: Parameters<typeof startTestExecutor>[0]['onRun'], status?: () => number) {
  const e = await startTestExecutor({ secret, onRun, status });
  executors.push(e);
  return e;
}

async function action(def: Record<string, unknown>) {
  const identifier = uniqueId('act-');
  const res = await api('POST', '/api/v1/actions', {
    identifier,
    title: `Action ${identifier}`,
    blueprint: bp,
    operation: 'DAY-2',
    inputs: { properties: {} },
    ...def,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return identifier;
}

async function entity(properties: Record<string, unknown> = {}) {
  const identifier = uniqueId('svc');
  const res = await api('POST', `/api/v1/blueprints/${bp}/entities`, {
    identifier,
    title: identifier,
    properties,
  });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return identifier;
}

const runOf = async (id: string, token = px.adminToken) =>
  (await api('GET', `/api/v1/runs/${id}`, undefined, token)).body;
const ended = (id: string) =>
  waitFor(`run ${id} to end`, async () => {
    const r = await runOf(id);
    return r.endedAt ? r : null;
  });

beforeAll(async () => {
  let fetchApp: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  ({ server, baseUrl } = await new Promise<{ server: Server; baseUrl: string }>((ok) => {
    const s = serve({ fetch: (req) => fetchApp(req), hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      ok({ server: s as Server, baseUrl: `http://127.0.0.1:${info.port}` }),
    );
  }));
  px = await startTestPlexus({
    actions: {
      publicUrl: baseUrl,
      secretsKey: randomBytes(32).toString('base64'),
      maxLogLineBytes: 1024,
      maxLogLines: 20,
      timeoutCheckMs: 0,
      heartbeatMs: 15_000,
    },
  });
  fetchApp = px.app.fetch;
  bp = uniqueId('svc');
  const created = await api('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Service',
    schema: { properties: { tier: { type: 'integer' }, version: { type: 'string' } } },
  });
  expect(created.status).toBe(201);
  const token = async (role: string) =>
    (await api('POST', '/api/v1/tokens', { name: uniqueId(role), role })).body;
  const member = await token('member');
  memberToken = member.token;
  memberId = member.id;
  otherToken = (await token('member')).token;
  viewerToken = (await token('viewer')).token;
}, 120_000);

afterAll(async () => {
  for (const e of executors) await e.close();
  await px?.close();
  await new Promise<void>((ok) => {
    if (!server) return ok();
    server.close(() => ok());
    server.closeAllConnections();
  });
});

describe('a run through the webhook invoker', () => {
  it('reaches a real executor that verifies the signature, reports progress and logs, and marks the entity it writes as affected', async () => {
    const exec = await executor((payload) =>
      reportLikeAnEngine(payload, { upsert: `${payload.entity.identifier}-env`, end: 'SUCCESS' }),
    );
    const act = await action({
      inputs: { properties: { version: { type: 'string' } }, required: ['version'] },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const target = await entity({ tier: 1 });
    const started = await api(
      'POST',
      `/api/v1/actions/${act}/runs`,
      { entity: `${bp}:${target}`, inputs: { version: 'v1.2' } },
      memberToken,
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({
      action: act,
      entity: `${bp}:${target}`,
      status: 'IN_PROGRESS',
      inputs: { version: 'v1.2' },
    });

    const run = await ended(started.body.id);
    expect(exec.errors).toEqual([]);
    expect(exec.received[0].verified).toBe(true);
    // The same delivery replayed more than 5 minutes later, or with its body changed, fails verification.
    const { headers, raw } = exec.received[0];
    const check = (body: string, now = Date.now()) =>
      verifyTimestampedSignature({
        secret,
        rawBody: body,
        signature: headers['x-plexus-signature'] as string,
        timestamp: headers['x-plexus-timestamp'] as string,
        now,
      });
    expect(check(raw)).toBe(true);
    expect(check(raw, Date.now() + 6 * 60_000)).toBe(false);
    expect(check(raw.replace('v1.2', 'v9.9'))).toBe(false);
    const payload = exec.received[0].body;
    expect(payload).toMatchObject({
      run: { id: started.body.id, apiUrl: `${baseUrl}/api/v1` },
      action: { identifier: act, operation: 'DAY-2', blueprint: bp },
      entity: { identifier: target, blueprint: bp },
      inputs: { version: 'v1.2' },
      trigger: { by: expect.any(String) },
    });
    expect(payload.run.token).toMatch(/^plxr_/);
    expect(run).toMatchObject({
      status: 'SUCCESS',
      statusLabel: 'deploying',
      link: 'https://ci.example.com/build/1',
      affectedEntities: [`${bp}:${target}-env`],
    });
    expect(run.logs.map((l: { message: string }) => l.message)).toEqual([
      'step 1',
      'step 2',
      'step 3',
      'finished',
    ]);
    const seqs = run.logs.map((l: { seq: number }) => l.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it("refuses a forged token (401), another run's token and a dead token (403), and changes nothing", async () => {
    const tokens: Record<string, string> = {};
    const exec = await executor((payload) => {
      tokens[payload.run.id] = payload.run.token;
    });
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    const target = await entity();
    const a = (await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${target}` })).body.id;
    const b = (await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${target}` })).body.id;
    await waitFor('both tokens', () => tokens[a] && tokens[b]);

    const forged = await api(
      'POST',
      `/api/v1/runs/${a}/logs`,
      { message: 'forged' },
      `plxr_${randomBytes(32).toString('base64url')}`,
    );
    expect(forged.status).toBe(401);
    const apiToken = await api('PATCH', `/api/v1/runs/${a}`, { status: 'SUCCESS' }, px.adminToken);
    expect(apiToken.status).toBe(401);
    const other = await api('PATCH', `/api/v1/runs/${a}`, { status: 'SUCCESS' }, tokens[b]);
    expect(other.status).toBe(403);
    expect(await runOf(a)).toMatchObject({ status: 'IN_PROGRESS', logs: [] });

    expect(
      (
        await api(
          'POST',
          `/api/v1/runs/${b}/logs`,
          { message: 'bye', terminationStatus: 'FAILURE' },
          tokens[b],
        )
      ).status,
    ).toBe(201);
    const dead = await api('POST', `/api/v1/runs/${b}/logs`, { message: 'after the end' }, tokens[b]);
    expect(dead.status).toBe(403);
    const afterEnd = await runOf(b);
    expect(afterEnd.status).toBe('FAILURE');
    expect(afterEnd.logs.map((l: { message: string }) => l.message)).toEqual(['bye']);
  });

  it("sends the body and header templates' results, signed", async () => {
    const exec = await executor();
    const act = await action({
      inputs: { properties: { version: { type: 'string' } } },
      invoker: {
        type: 'webhook',
        url: exec.url,
        secret,
        method: 'PUT',
        headers: { 'x-team': 'payments', 'x-target': { jsonata: 'entity.identifier' } },
        body: { jsonata: "{'ref': inputs.version, 'callback': run.apiUrl & '/runs/' & run.id}" },
      },
    });
    const target = await entity();
    const started = await api('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp}:${target}`,
      inputs: { version: 'v3' },
    });
    const got = await waitFor('the delivery', () => exec.received[0]);
    expect(got.verified).toBe(true);
    expect(got.body).toEqual({ ref: 'v3', callback: `${baseUrl}/api/v1/runs/${started.body.id}` });
    expect(got.headers).toMatchObject({
      'x-team': 'payments',
      'x-target': target,
      'x-plexus-event': 'run.requested',
    });
  });

  it('ends the run FAILURE with the reason when the executor answers 4xx, without retrying', async () => {
    const exec = await executor(undefined, () => 422);
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret, retries: 3 } });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    const run = await ended(started.body.id);
    expect(run.status).toBe('FAILURE');
    expect(run.summary).toMatch(/answered 422/);
    expect(exec.received).toHaveLength(1);
  });

  it('ends the run FAILURE when the executor cannot be reached', async () => {
    const exec = await executor();
    await exec.close();
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret, retries: 0 } });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    const run = await ended(started.body.id);
    expect(run.status).toBe('FAILURE');
    expect(run.summary).toMatch(/could not be reached/);
    expect(run.logs[0].message).toMatch(/could not be reached/);
  });
});

describe('run listings', () => {
  it("pages runs newest first, filtered by entity and action, and takes the link from the executor's answer", async () => {
    const exec = await startTestExecutor({
      secret,
      answer: () => ({ link: 'https://ci.example.com/runs/42' }),
    });
    executors.push(exec);
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    const target = await entity();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${target}` })).body.id);
    await waitFor('the links', async () =>
      (await Promise.all(ids.map((id) => runOf(id)))).every(
        (r) => r.link === 'https://ci.example.com/runs/42',
      ),
    );
    const first = await api('GET', `/api/v1/runs?entity=${bp}:${target}&limit=2`);
    expect(first.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.runs[0].logs).toEqual([]);
    const second = await api(
      'GET',
      `/api/v1/runs?entity=${bp}:${target}&limit=2&cursor=${encodeURIComponent(first.body.next)}`,
    );
    expect(second.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(second.body.next).toBeNull();
    expect((await api('GET', `/api/v1/runs?action=${act}&status=IN_PROGRESS`)).body.runs).toHaveLength(3);
    expect((await api('GET', `/api/v1/runs?action=${act}&status=SUCCESS`)).body.runs).toHaveLength(0);
    expect((await api('GET', '/api/v1/runs?status=DONE')).status).toBe(400);
  });
});

describe('run requests', () => {
  it('answers 400 naming the field for invalid inputs, and stores no run', async () => {
    const exec = await executor();
    const act = await action({
      inputs: {
        properties: {
          version: { type: 'string', pattern: '^v\\d+$' },
          replicas: { type: 'integer', maximum: 5 },
        },
        required: ['version'],
      },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const target = await entity();
    const missing = await api('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp}:${target}`,
      inputs: {},
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/inputs\.version: is required/);
    const bad = await api('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp}:${target}`,
      inputs: { version: 'x', replicas: 9 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'inputs.replicas',
      'inputs.version',
    ]);
    expect((await api('GET', `/api/v1/runs?action=${act}`)).body.runs).toEqual([]);
    expect(exec.received).toHaveLength(0);
  });

  it('refuses a caller outside the execute permission with 403, and viewers always', async () => {
    const exec = await executor();
    const act = await action({
      permissions: { execute: { users: ['nobody'] } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const target = await entity();
    expect(
      (await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${target}` }, memberToken)).status,
    ).toBe(403);
    const open = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    expect(
      (await api('POST', `/api/v1/actions/${open}/runs`, { entity: `${bp}:${target}` }, viewerToken)).status,
    ).toBe(403);
    expect(exec.received).toHaveLength(0);
  });

  it('lists for an entity only the actions whose condition matches and that the caller may run', async () => {
    const exec = await executor();
    const tier1 = await action({
      condition: { rules: [{ property: 'tier', operator: '=', value: 1 }] },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const tier2 = await action({
      condition: { rules: [{ property: 'tier', operator: '=', value: 2 }] },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const adminsOnly = await action({
      permissions: { execute: { roles: ['admin'] } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const target = await entity({ tier: 1 });
    const listed = await api('GET', `/api/v1/actions?entity=${bp}:${target}`, undefined, memberToken);
    expect(listed.status).toBe(200);
    const ids = listed.body.actions.map((a: { identifier: string }) => a.identifier);
    expect(ids).toContain(tier1);
    expect(ids).not.toContain(tier2);
    expect(ids).not.toContain(adminsOnly);
    const refused = await api('POST', `/api/v1/actions/${tier2}/runs`, { entity: `${bp}:${target}` });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/condition/);
  });
});

describe('approvals', () => {
  it('waits for approval, refuses the requester and outsiders, and runs after ANY one approval', async () => {
    const exec = await executor((payload) => reportLikeAnEngine(payload, { end: 'SUCCESS' }));
    const act = await action({
      approval: { required: true, type: 'ANY', approvers: { users: [memberId] } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const target = await entity();
    const started = await api(
      'POST',
      `/api/v1/actions/${act}/runs`,
      { entity: `${bp}:${target}` },
      otherToken,
    );
    expect(started.body.status).toBe('WAITING_FOR_APPROVAL');
    const inbox = await api('GET', '/api/v1/runs?approver=me', undefined, memberToken);
    expect(inbox.body.runs.map((r: { id: string }) => r.id)).toContain(started.body.id);
    expect(
      (await api('POST', `/api/v1/runs/${started.body.id}/approval`, { decision: 'approve' }, otherToken))
        .status,
    ).toBe(403);
    expect(
      (await api('POST', `/api/v1/runs/${started.body.id}/approval`, { decision: 'approve' }, viewerToken))
        .status,
    ).toBe(403);
    expect(exec.received).toHaveLength(0);
    const approved = await api(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      memberToken,
    );
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('IN_PROGRESS');
    const run = await ended(started.body.id);
    expect(run.status).toBe('SUCCESS');
    expect(run.approvals).toEqual([expect.objectContaining({ decision: 'approve' })]);
  });

  it('with ALL, runs only once every listed approver approved', async () => {
    const exec = await executor((payload) => reportLikeAnEngine(payload, { end: 'SUCCESS' }));
    const other = await api('POST', '/api/v1/tokens', { name: uniqueId('approver'), role: 'member' });
    const act = await action({
      approval: { required: true, type: 'ALL', approvers: { users: [memberId, other.body.id] } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    const first = await api(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      memberToken,
    );
    expect(first.body.status).toBe('WAITING_FOR_APPROVAL');
    expect(exec.received).toHaveLength(0);
    const second = await api(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      other.body.token,
    );
    expect(second.body.status).toBe('IN_PROGRESS');
    expect((await ended(started.body.id)).status).toBe('SUCCESS');
    expect(exec.received).toHaveLength(1);
  });

  it('ends the run DECLINED with the reason', async () => {
    const exec = await executor();
    const act = await action({
      approval: { required: true, approvers: { users: [memberId] } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    const declined = await api(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'decline', reason: 'not during the freeze' },
      memberToken,
    );
    expect(declined.body).toMatchObject({
      status: 'DECLINED',
      summary: expect.stringContaining('not during the freeze'),
    });
    expect(declined.body.approvals[0]).toMatchObject({
      decision: 'decline',
      reason: 'not during the freeze',
    });
    expect(
      (await api('POST', `/api/v1/runs/${started.body.id}/approval`, { decision: 'approve' })).status,
    ).toBe(409);
    expect(exec.received).toHaveLength(0);
  });
});

describe('cancel, re-run and timeout', () => {
  it('cancels a run in progress, tells the executor, and kills the token', async () => {
    let token = '';
    const exec = await executor((payload) => {
      token = payload.run.token;
    });
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    const started = await api(
      'POST',
      `/api/v1/actions/${act}/runs`,
      { entity: `${bp}:${await entity()}` },
      memberToken,
    );
    await waitFor('the token', () => token);
    expect((await api('POST', `/api/v1/runs/${started.body.id}/cancel`, undefined, otherToken)).status).toBe(
      403,
    );
    const cancelled = await api('POST', `/api/v1/runs/${started.body.id}/cancel`, undefined, memberToken);
    expect(cancelled.body.status).toBe('CANCELLED');
    await waitFor('the cancel notice', () => exec.received.find((r) => r.body?.event === 'run.cancelled'));
    expect(exec.received.find((r) => r.body?.event === 'run.cancelled')?.verified).toBe(true);
    expect(
      (await api('POST', `/api/v1/runs/${started.body.id}/logs`, { message: 'late' }, token)).status,
    ).toBe(403);
  });

  it('re-runs with the same inputs, secrets included, as a new run', async () => {
    const exec = await executor((payload) => reportLikeAnEngine(payload, { end: 'SUCCESS' }));
    const act = await action({
      inputs: { properties: { version: { type: 'string' }, password: { type: 'string', format: 'secret' } } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp}:${await entity()}`,
      inputs: { version: 'v7', password: 'hunter2-hunter2' },
    });
    await ended(started.body.id);
    const again = await api('POST', `/api/v1/runs/${started.body.id}/rerun`);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({
      rerunOf: started.body.id,
      inputs: { version: 'v7', password: '********' },
    });
    expect(again.body.id).not.toBe(started.body.id);
    await ended(again.body.id);
    expect(exec.received.filter((r) => r.body?.run).map((r) => r.body.inputs)).toEqual([
      { version: 'v7', password: 'hunter2-hunter2' },
      { version: 'v7', password: 'hunter2-hunter2' },
    ]);
  });

  it('ends a run past its action timeout as TIMED_OUT', async () => {
    const exec = await executor();
    const act = await action({ timeoutMs: 1000, invoker: { type: 'webhook', url: exec.url, secret } });
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    await waitFor('the delivery', () => exec.received.length > 0);
    await waitFor('the run to time out', async () => {
      await px.services.actions.sweepTimeouts();
      return (await runOf(started.body.id)).status === 'TIMED_OUT';
    });
    const run = await runOf(started.body.id);
    expect(run.summary).toMatch(/no result within 1000 ms/);
  });
});

describe('secrets', () => {
  it('masks secret inputs in stored inputs and any copy of them in logs, labels and summaries; and the invoker secret when read', async () => {
    const exec = await executor(async (payload) => {
      const { run } = payload;
      const call = (method: string, path: string, body: unknown) =>
        fetch(`${run.apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      await call('PATCH', `/runs/${run.id}`, { statusLabel: `using ${payload.inputs.password}` });
      await call('POST', `/runs/${run.id}/logs`, {
        message: `login with ${payload.inputs.password} and ${secret}`,
      });
      await call('POST', `/runs/${run.id}/logs`, {
        message: `password was ${payload.inputs.password}`,
        terminationStatus: 'SUCCESS',
      });
    });
    const act = await action({
      inputs: { properties: { password: { type: 'string', format: 'secret' }, note: { type: 'string' } } },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    const read = await api('GET', `/api/v1/actions/${act}`);
    expect(read.body.invoker.secret).toBe('********');
    const started = await api('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp}:${await entity()}`,
      inputs: { password: 'correct-horse-battery', note: 'pw is correct-horse-battery' },
    });
    expect(started.body.inputs).toEqual({ password: '********', note: 'pw is ********' });
    const run = await ended(started.body.id);
    expect(run.statusLabel).toBe('using ********');
    expect(run.logs.map((l: { message: string }) => l.message)).toEqual([
      'login with ******** and ********',
      'password was ********',
    ]);
    expect(JSON.stringify(run)).not.toContain('correct-horse-battery');
    const audit = await api('GET', `/api/v1/audit?kind=run&subject=${run.id}`);
    expect(JSON.stringify(audit.body)).not.toContain('correct-horse-battery');
  });

  it('keeps the stored secret when a PUT sends "********"', async () => {
    const exec = await executor((payload) => reportLikeAnEngine(payload, { end: 'SUCCESS' }));
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    const def = (await api('GET', `/api/v1/actions/${act}`)).body;
    expect((await api('PUT', `/api/v1/actions/${act}`, { ...def, title: 'Renamed' })).status).toBe(200);
    const started = await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    expect((await ended(started.body.id)).status).toBe('SUCCESS');
    expect(exec.received[0].verified).toBe(true);
  });
});

describe('limits', () => {
  it('answers 413 for a log line over the limit and past the line limit', async () => {
    let token = '';
    let id = '';
    const exec = await executor((payload) => {
      token = payload.run.token;
      id = payload.run.id;
    });
    const act = await action({ invoker: { type: 'webhook', url: exec.url, secret } });
    await api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${await entity()}` });
    await waitFor('the token', () => token);
    expect((await api('POST', `/api/v1/runs/${id}/logs`, { message: 'x'.repeat(2000) }, token)).status).toBe(
      413,
    );
    for (let i = 0; i < 20; i++)
      expect((await api('POST', `/api/v1/runs/${id}/logs`, { message: `line ${i}` }, token)).status).toBe(
        201,
      );
    expect((await api('POST', `/api/v1/runs/${id}/logs`, { message: 'one too many' }, token)).status).toBe(
      413,
    );
    const page = await api('GET', `/api/v1/runs/${id}/logs?limit=15`);
    expect(page.body.logs).toHaveLength(15);
    const rest = await api('GET', `/api/v1/runs/${id}/logs?after=${page.body.next}&limit=15`);
    expect(rest.body.logs.map((l: { message: string }) => l.message)).toEqual([
      'line 15',
      'line 16',
      'line 17',
      'line 18',
      'line 19',
    ]);
  });
});
