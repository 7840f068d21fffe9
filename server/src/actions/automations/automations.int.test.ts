import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyTimestampedSignature } from '@plexus/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, writeRows } from '../../db/driver.ts';
import type { Services } from '../../services.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../../test-support.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/** A local receiver: verifies signatures and keeps every delivery. */
interface Receiver {
  url: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes, checked by each test
  deliveries: { body: any; headers: Record<string, string | string[] | undefined>; verified: boolean }[];
  close(): Promise<void>;
}

const secret = 'automation-test-secret';

async function startReceiver(): Promise<Receiver> {
  const deliveries: Receiver['deliveries'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const verified = verifyTimestampedSignature({
        signature: req.headers['x-plexus-signature'] as string | undefined,
        timestamp: req.headers['x-plexus-timestamp'] as string | undefined,
        secret,
        rawBody: raw,
      });
      deliveries.push({ body: JSON.parse(raw), headers: req.headers, verified });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

/**
 * Makes `services`' consumer the holder of the automations lease (other test files' servers share
 * the database and compete for it): the holder is what these tests are about.
 */
async function takeLease(services: Services): Promise<void> {
  await writeRows(
    services.db,
    "MERGE (l:_Lease {name: 'automations'}) SET l.holder = $holder, l.until = timestamp() + 30000",
    {
      holder: services.jobs.holder,
    },
  );
  await services.automations.consumer?.tick();
}

async function firings(services: Services, automation: string) {
  return readRows<{ key: string; state: string; depth: number; error: string | null; attempts: number }>(
    services.db,
    'MATCH (f:_AutomationFiring {automation: $automation}) RETURN f.key AS key, f.state AS state, f.depth AS depth, f.error AS error, f.attempts AS attempts ORDER BY f.seq',
    { automation },
  );
}

const fast = { automations: { pollMs: 100, maxDepth: 3, expirySweepMs: 200 } };

let px: TestPlexus;
let receiver: Receiver;
let bp: string;
beforeAll(async () => {
  receiver = await startReceiver();
  px = await startTestPlexus(fast);
  await takeLease(px.services);
  bp = uniqueId('auto');
  const res = await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Automated',
    schema: { properties: { tier: { type: 'integer' }, expiresAt: { type: 'string', format: 'date-time' } } },
  });
  expect(res.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await px?.close();
  await receiver?.close();
});

const deliveriesOf = (automation: string) =>
  receiver.deliveries.filter((d) => d.body.automation.identifier === automation);

describe('automation definitions', () => {
  it('stores, masks the secret, audits, and keeps the secret on a PUT that sends the mask', async () => {
    const id = uniqueId('def-').toLowerCase();
    const created = await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Notify',
      trigger: { type: 'entity.created', blueprint: bp },
      target: { type: 'webhook', url: receiver.url, secret },
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.target.secret).toBe('********');
    expect(created.body.status).toEqual({
      lastFiredAt: null,
      lastError: null,
      lastErrorAt: null,
      firings: 0,
    });
    const [stored] = await readRows<{ target: string }>(
      px.services.db,
      'MATCH (a:_Automation {identifier: $id}) RETURN a.target AS target',
      { id },
    );
    expect(stored.target).not.toContain(secret);
    const put = await px.call('PUT', `/api/v1/automations/${id}`, {
      ...created.body,
      title: 'Notify 2',
      status: undefined,
    });
    expect(put.status).toBe(200);
    const active = (await px.services.automations.store.active()).find((a) => a.identifier === id);
    expect(active).toBeUndefined(); // disabled
    const events = await px.call('GET', `/api/v1/audit?kind=automation&subject=${id}`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual([
      'automation.updated',
      'automation.created',
    ]);
    expect(JSON.stringify(events.body.events)).not.toContain(secret);
    expect((await px.call('POST', '/api/v1/automations', created.body)).status).toBe(422); // the mask is no secret
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          ...created.body,
          target: { ...created.body.target, secret },
        })
      ).status,
    ).toBe(409);
    expect((await px.call('DELETE', `/api/v1/automations/${id}`)).status).toBe(200);
    expect((await px.call('GET', `/api/v1/automations/${id}`)).status).toBe(404);
  });

  it('answers 422 naming each bad field, and writes nothing', async () => {
    const id = uniqueId('bad-').toLowerCase();
    const res = await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Bad',
      trigger: { type: 'property.expired', blueprint: bp, property: 'tier' },
      condition: { jsonata: 'after.(' },
      target: { type: 'webhook', url: 'http://10.11.12.13/hook' },
    });
    expect(res.status).toBe(422);
    const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['/condition/jsonata', '/target/url', '/trigger/property']);
    expect(
      res.body.error.details.find((d: { path: string }) => d.path === '/trigger/property').message,
    ).toMatch(/date-time/);
    const unknown = await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Bad',
      trigger: { type: 'scorecard.levelChanged', scorecard: 'no-such-scorecard' },
      target: { type: 'action' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      '/target/action',
      '/trigger/scorecard',
    ]);
    expect((await px.call('GET', `/api/v1/automations/${id}`)).status).toBe(404);
  });

  it('is changed by admins only', async () => {
    const token = await px.call('POST', '/api/v1/tokens', { name: uniqueId('m-'), role: 'member' });
    expect(token.status).toBe(201);
    const res = await px.call(
      'POST',
      '/api/v1/automations',
      {
        identifier: 'nope',
        title: 'x',
        trigger: { type: 'entity.created', blueprint: bp },
        target: { type: 'webhook', url: receiver.url },
      },
      { token: token.body.token },
    );
    expect(res.status).toBe(403);
    expect((await px.call('GET', '/api/v1/automations', undefined, { token: token.body.token })).status).toBe(
      200,
    );
  });
});

describe('firing', () => {
  it('fires a signed webhook once per matching change, under its condition', async () => {
    const id = uniqueId('cond-').toLowerCase();
    const created = await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Tier went up',
      trigger: { type: 'entity.updated', blueprint: bp },
      condition: { jsonata: 'after.properties.tier > before.properties.tier' },
      target: { type: 'webhook', url: receiver.url, secret },
    });
    expect(created.status).toBe(201);
    const e = uniqueId('e');
    const write = (tier: number) =>
      px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier } });
    await write(1); // created: not this trigger
    await write(2); // up: fires
    await write(1); // down: condition false
    await write(3); // up: fires
    await waitFor('two deliveries', () => (deliveriesOf(id).length >= 2 ? true : undefined));
    await waitFor('firings finished', async () =>
      (await firings(px.services, id)).every((f) => f.state === 'done') ? true : undefined,
    );
    await px.services.automations.consumer!.tick();
    const got = deliveriesOf(id);
    expect(got).toHaveLength(2);
    expect(got.every((d) => d.verified)).toBe(true);
    expect(got.map((d) => [d.body.before.properties.tier, d.body.after.properties.tier])).toEqual([
      [1, 2],
      [1, 3],
    ]);
    expect(got[0].body.event).toMatchObject({
      type: 'entity.updated',
      blueprint: bp,
      identifier: e,
      entity: `${bp}:${e}`,
    });
    expect(got[0].headers['x-plexus-delivery']).toBe(got[0].body.delivery);
    const status = await px.call('GET', `/api/v1/automations/${id}`);
    expect(status.body.status.firings).toBe(2);
    await px.call('DELETE', `/api/v1/automations/${id}`);
  });

  it('reports a condition that never ends as the automation’s error instead of stalling the consumer', async () => {
    const id = uniqueId('runaway-').toLowerCase();
    const created = await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Runaway condition',
      trigger: { type: 'entity.updated', blueprint: bp },
      // Tail recursion: only JSONata's evaluation time limit ends it.
      condition: { jsonata: '($f := function($x) { $f($x + 1) }; $f(0))' },
      target: { type: 'webhook', url: receiver.url, secret },
    });
    expect(created.status).toBe(201);
    const e = uniqueId('e');
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 2 } });
    const status = await waitFor(
      'the condition error',
      async () => {
        const r = await px.call('GET', `/api/v1/automations/${id}`);
        return r.body.status.lastError ? r.body.status : undefined;
      },
      60_000,
    );
    expect(status.lastError).toMatch(/timeout/i);
    expect(deliveriesOf(id)).toHaveLength(0);
    await px.call('DELETE', `/api/v1/automations/${id}`);
  });

  it('prunes finished firings with the audit retention, and keeps unfinished ones', async () => {
    const id = uniqueId('prune-').toLowerCase();
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          identifier: id,
          title: 'Pruned',
          trigger: { type: 'entity.updated', blueprint: bp },
          target: { type: 'webhook', url: receiver.url, secret },
        })
      ).status,
    ).toBe(201);
    const e = uniqueId('e');
    for (const tier of [1, 2, 3, 4]) await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier } });
    await waitFor('three finished firings', async () => {
      const f = await firings(px.services, id);
      return f.length === 3 && f.every((x) => x.state === 'done') ? f : undefined;
    });
    // Age them: two finished firings 40 days old, one of which is made unfinished again, while
    // another replica holds the lease (so this server's consumer does not finish it meanwhile).
    await writeRows(px.services.db, "MATCH (l:_Lease {name: 'automations'}) SET l.holder = 'elsewhere', l.until = timestamp() + 600000");
    try {
      const keys = (await firings(px.services, id)).map((f) => f.key);
      const day = 86_400_000;
      await writeRows(
        px.services.db,
        'UNWIND $keys AS k MATCH (f:_AutomationFiring {key: k}) SET f.createdAt = timestamp() - 40 * $day',
        { keys: keys.slice(0, 2), day },
      );
      await writeRows(px.services.db, "MATCH (f:_AutomationFiring {key: $key}) SET f.state = 'pending', f.holder = 'paused-test'", {
        key: keys[1],
      });
      await px.services.automations.store.pruneFirings(30);
      const left = await firings(px.services, id);
      expect(left.map((f) => f.key).sort()).toEqual([keys[1], keys[2]].sort());
      await writeRows(px.services.db, 'MATCH (f:_AutomationFiring {key: $key}) DETACH DELETE f', { key: keys[1] });
    } finally {
      await takeLease(px.services);
    }
    await px.call('DELETE', `/api/v1/automations/${id}`);
  });

  it('cuts a loop at the depth limit and reports it instead of firing', async () => {
    const id = uniqueId('loop-').toLowerCase();
    await px.call('POST', '/api/v1/automations', {
      identifier: id,
      title: 'Loop',
      trigger: { type: 'entity.updated', blueprint: bp },
      target: { type: 'webhook', url: receiver.url, secret },
    });
    const e = uniqueId('e');
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
    // A run started by a firing already 3 deep (the limit): what it writes would be depth 4.
    const deep = uniqueId('run-');
    const shallow = uniqueId('run-');
    await writeRows(
      px.services.db,
      "UNWIND $rows AS r CREATE (:_AutomationFiring {key: r.key, automation: 'elsewhere', event: r.key, seq: 0, depth: r.depth, state: 'done', runId: r.run})",
      {
        rows: [
          { key: uniqueId('k'), depth: 3, run: deep },
          { key: uniqueId('k'), depth: 2, run: shallow },
        ],
      },
    );
    await px.call('POST', `/api/v1/blueprints/${bp}/entities?runId=${deep}`, {
      identifier: e,
      properties: { tier: 2 },
    });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities?runId=${shallow}`, {
      identifier: e,
      properties: { tier: 3 },
    });
    const all = await waitFor('both firings recorded', async () => {
      const f = await firings(px.services, id);
      return f.length === 2 && f[1].state === 'done' ? f : undefined;
    });
    expect(all.map((f) => [f.state, f.depth])).toEqual([
      ['cut', 4],
      ['done', 3],
    ]);
    expect(all[0].error).toMatch(/loop cut.*limit is 3/);
    expect(deliveriesOf(id).map((d) => d.body.after.properties.tier)).toEqual([3]);
    const status = await px.call('GET', `/api/v1/automations/${id}`);
    expect(status.body.status.lastError).toMatch(/loop cut/);
    await px.call('DELETE', `/api/v1/automations/${id}`);
  });

  it('fires property.expired once per entity and value, after the date passes', async () => {
    const id = uniqueId('exp-').toLowerCase();
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          identifier: id,
          title: 'Expired',
          trigger: { type: 'property.expired', blueprint: bp, property: 'expiresAt' },
          target: { type: 'webhook', url: receiver.url, secret },
        })
      ).status,
    ).toBe(201);
    const soon = uniqueId('soon');
    const later = uniqueId('later');
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: bp, identifier: soon, properties: { expiresAt } },
        {
          blueprint: bp,
          identifier: later,
          properties: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
        },
      ],
    });
    await waitFor('the expiry delivery', () => (deliveriesOf(id).length >= 1 ? true : undefined));
    await waitFor('firing finished', async () =>
      (await firings(px.services, id)).every((f) => f.state === 'done') ? true : undefined,
    );
    for (let i = 0; i < 3; i++) await px.services.automations.consumer!.tick();
    const got = deliveriesOf(id);
    expect(got).toHaveLength(1);
    expect(got[0].body.event).toMatchObject({
      type: 'property.expired',
      identifier: soon,
      property: 'expiresAt',
      value: expiresAt,
    });
    expect(got[0].body.after.identifier).toBe(soon);
    await px.call('DELETE', `/api/v1/automations/${id}`);
  });
});
