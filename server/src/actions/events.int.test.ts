import { randomBytes } from 'node:crypto';
import type { RunEvent } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.ts';
import { startTestPlexus, uniqueId } from '../test-support.ts';
import { readEvents, startServedPlexus, startTestExecutor, waitFor } from './test-executor.ts';

let served: Awaited<ReturnType<typeof startServedPlexus>>;
let exec: Awaited<ReturnType<typeof startTestExecutor>>;
let bp: string;
const secret = `whsec-${randomBytes(12).toString('hex')}`;
const tokens = new Map<string, string>();

beforeAll(async () => {
  served = await startServedPlexus({ heartbeatMs: 200 });
  exec = await startTestExecutor({
    secret,
    onRun: (payload) => {
      tokens.set(payload.run.id, payload.run.token);
    },
  });
  bp = uniqueId('ev');
  expect(
    (
      await served.api('POST', '/api/v1/blueprints', {
        identifier: bp,
        title: 'Evented',
        schema: { properties: {} },
      })
    ).status,
  ).toBe(201);
}, 120_000);

afterAll(async () => {
  await exec?.close();
  await served?.close();
});

async function startRun() {
  const act = uniqueId('ev-');
  const created = await served.api('POST', '/api/v1/actions', {
    identifier: act,
    title: 'Evented',
    blueprint: bp,
    operation: 'DAY-2',
    inputs: { properties: {} },
    invoker: { type: 'webhook', url: exec.url, secret },
  });
  expect(created.status).toBe(201);
  const target = uniqueId('e');
  await served.api('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: target, title: target });
  const run = (await served.api('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp}:${target}` })).body;
  const token = await waitFor('the run token', () => tokens.get(run.id));
  const report = (path: string, body: unknown, method = 'POST') =>
    fetch(`${served.baseUrl}/api/v1/runs/${run.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return { run, token, report };
}

const stream = (id: string, lastEventId?: string, token = served.px.adminToken) =>
  fetch(`${served.baseUrl}/api/v1/runs/${id}/events`, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
  });

describe('GET /runs/{run}/events', () => {
  it('streams status changes and log lines as they happen, and resumes after Last-Event-ID', async () => {
    const { run, report } = await startRun();
    const res = await stream(run.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = readEvents(res);
    const first = await events.next();
    expect(first).toMatchObject({
      id: '1',
      event: 'status',
      data: { type: 'status', status: 'IN_PROGRESS' },
    });

    expect((await report('/logs', { message: 'one' })).status).toBe(201);
    const one = await events.next();
    expect(one).toMatchObject({ event: 'log', data: { type: 'log', line: { message: 'one' } } });
    expect(Number(one!.id)).toBeGreaterThan(1);
    await events.cancel();

    // Missed while disconnected: replayed from the store on resume.
    expect((await report('/logs', { message: 'two' })).status).toBe(201);
    expect((await report('', { statusLabel: 'halfway' }, 'PATCH')).status).toBe(200);
    expect((await report('/logs', { message: 'three', terminationStatus: 'SUCCESS' })).status).toBe(201);

    const resumed = readEvents(await stream(run.id, one!.id));
    const seen: { id: string; event: string; data: any }[] = [];
    for (;;) {
      const e = await resumed.next();
      if (!e) break;
      seen.push(e);
    }
    expect(
      seen.map((e) => (e.event === 'log' ? e.data.line.message : `${e.data.status}/${e.data.statusLabel}`)),
    ).toEqual(['two', 'IN_PROGRESS/halfway', 'three', 'SUCCESS/halfway']);
    const ids = seen.map((e) => Number(e.id));
    expect(ids.every((id, i) => id > (i === 0 ? Number(one!.id) : ids[i - 1]))).toBe(true);
  });

  it('ends at once when resumed after the last event of an ended run', async () => {
    const { run, report } = await startRun();
    await report('/logs', { message: 'done', terminationStatus: 'FAILURE' });
    const all = readEvents(await stream(run.id));
    let last = '';
    for (;;) {
      const e = await all.next();
      if (!e) break;
      last = e.id;
    }
    const again = readEvents(await stream(run.id, last));
    expect(await again.next()).toBeNull();
  });

  it('refuses a caller who may not read the run, before streaming anything', async () => {
    const hidden = uniqueId('hid');
    await served.api('POST', '/api/v1/blueprints', {
      identifier: hidden,
      title: 'Hidden',
      schema: { properties: {} },
      permissions: { read: { roles: ['admin'] } },
    });
    const act = uniqueId('hid-');
    await served.api('POST', '/api/v1/actions', {
      identifier: act,
      title: 'Hidden',
      blueprint: hidden,
      operation: 'DAY-2',
      inputs: { properties: {} },
      invoker: { type: 'webhook', url: exec.url, secret },
    });
    await served.api('POST', `/api/v1/blueprints/${hidden}/entities`, { identifier: 'x', title: 'x' });
    const run = (await served.api('POST', `/api/v1/actions/${act}/runs`, { entity: `${hidden}:x` })).body;
    const member = (await served.api('POST', '/api/v1/tokens', { name: uniqueId('m'), role: 'member' })).body
      .token;
    const refused = await stream(run.id, undefined, member);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/json/);
    expect((await stream('no-such-run')).status).toBe(404);
  });

  it('reaches a subscriber on another replica (which polls the store)', async () => {
    const other = await startTestPlexus();
    try {
      const { run, report } = await startRun();
      const admin: Principal = {
        id: 'admin',
        name: 'admin',
        kind: 'token',
        role: 'admin',
        teams: [],
        moderates: [],
      };
      const seen: RunEvent[] = [];
      let done = false;
      const stop = await other.services.actions.subscribe(
        admin,
        run.id,
        0,
        (e) => seen.push(e),
        () => {
          done = true;
        },
      );
      await report('/logs', { message: 'from replica one' });
      await report('/logs', { message: 'last', terminationStatus: 'SUCCESS' });
      await waitFor('the other replica to see the end', () => done);
      stop();
      expect(seen.map((e) => (e.type === 'log' ? e.line.message : e.status))).toEqual([
        'IN_PROGRESS',
        'from replica one',
        'last',
        'SUCCESS',
      ]);
    } finally {
      await other.close();
    }
  });
});

describe('heartbeats', () => {
  it('keeps an idle stream open with comments', async () => {
    const { run } = await startRun();
    const res = await stream(run.id);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await waitFor('a heartbeat comment', async () => {
      const chunk = await reader.read();
      text += decoder.decode(chunk.value ?? new Uint8Array(), { stream: true });
      return text.includes(': heartbeat\n\n');
    });
    await reader.cancel();
    expect(text).toMatch(/^event: status\ndata: .*\nid: 1\n\n/);
  });
});

describe('concurrent log lines', () => {
  it('keeps every line of concurrent appends, each with its own sequence number', async () => {
    const { run, report } = await startRun();
    const n = 40;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) => report('/logs', { message: `line ${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(n).fill(201));
    const page = (await served.api('GET', `/api/v1/runs/${run.id}/logs?limit=1000`)).body.logs as {
      seq: number;
      message: string;
    }[];
    expect(page).toHaveLength(n);
    expect(new Set(page.map((l) => l.seq)).size).toBe(n);
    expect(new Set(page.map((l) => l.message)).size).toBe(n);
  });
});
