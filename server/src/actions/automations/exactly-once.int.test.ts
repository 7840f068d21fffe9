import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, writeRows } from '../../db/driver.ts';
import type { Services } from '../../services.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../../test-support.ts';
import { createAutomationConsumer } from './consumer.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/**
 * The Done-when of issue 16 for automations: an automation firing on a scorecard level drop runs
 * exactly once even if the server is killed and restarted between the change and the firing.
 * A "kill" here stops a server without any of the work a clean stop does (its consumer halts
 * where it is and keeps its lease, which then expires); the next server on the same database
 * resumes from the stored cursor and firings.
 */

const secret = 'exactly-once-secret';
let server: Server;
let url: string;
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes, checked by each test
const deliveries: { automation: string; delivery: string; event: any; before: any; after: any }[] = [];

/** Makes this server's consumer the lease holder (other test files' servers share the database). */
async function takeLease(services: Services): Promise<void> {
  await writeRows(
    services.db,
    "MERGE (l:_Lease {name: 'automations'}) SET l.holder = $holder, l.until = timestamp() + 30000",
    {
      holder: services.jobs.holder,
    },
  );
}

const firingsOf = (services: Services, automation: string) =>
  readRows<{ key: string; state: string; attempts: number }>(
    services.db,
    'MATCH (f:_AutomationFiring {automation: $automation}) RETURN f.key AS key, f.state AS state, f.attempts AS attempts',
    { automation },
  );
const deliveriesOf = (automation: string) => deliveries.filter((d) => d.automation === automation);

const consuming = { automations: { pollMs: 100, maxDepth: 3, expirySweepMs: 60_000 } };
const notConsuming = { automations: { pollMs: 0, maxDepth: 3, expirySweepMs: 60_000 } };

let setup: TestPlexus;
let bp: string;
let scorecard: string;
let entity: string;

/** Writes the entity with or without a tier: with, it is Gold; without, it drops to Basic. */
async function setTier(px: TestPlexus, tier: number | null) {
  const res = await px.call('POST', `/api/v1/blueprints/${bp}/entities`, {
    identifier: entity,
    properties: tier === null ? {} : { tier },
  });
  expect(res.status).toBeLessThan(300);
  expect((await px.call('POST', `/api/v1/scorecards/${scorecard}/evaluate`)).status).toBe(200);
}

async function createAutomation(px: TestPlexus): Promise<string> {
  const id = uniqueId('drop-').toLowerCase();
  const res = await px.call('POST', '/api/v1/automations', {
    identifier: id,
    title: 'Level dropped',
    trigger: { type: 'scorecard.levelChanged', scorecard },
    condition: { jsonata: 'after.levelIndex < before.levelIndex' },
    target: { type: 'webhook', url, secret },
  });
  expect(res.status).toBe(201);
  return id;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      deliveries.push({
        automation: body.automation.identifier,
        delivery: body.delivery,
        event: body.event,
        before: body.before,
        after: body.after,
      });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  setup = await startTestPlexus(notConsuming);
  bp = uniqueId('once');
  scorecard = uniqueId('ready-').toLowerCase();
  entity = uniqueId('svc');
  expect(
    (
      await setup.call('POST', '/api/v1/blueprints', {
        identifier: bp,
        title: 'Once',
        schema: { properties: { tier: { type: 'integer' } } },
      })
    ).status,
  ).toBe(201);
  const sc = await setup.call('POST', '/api/v1/scorecards', {
    identifier: scorecard,
    title: 'Ready',
    blueprint: bp,
    levels: ['Basic', 'Gold'],
    rules: [
      {
        identifier: 'tier-set',
        title: 'Tier is set',
        level: 'Gold',
        property: 'tier',
        operator: 'isNotEmpty',
      },
    ],
  });
  expect(sc.status).toBe(201);
  await setTier(setup, 1);
}, 180_000);

afterAll(async () => {
  await setup?.close();
  await new Promise<void>((ok) => server?.close(() => ok()) ?? ok());
});

describe('exactly once across a restart', () => {
  it('fires once when the server is killed after the level drop and before any firing', async () => {
    const id = await createAutomation(setup);
    // A server that stores the change and dies before its consumer ever ran.
    const first = await startTestPlexus(notConsuming);
    await setTier(first, null);
    const drop = await first.call('GET', `/api/v1/audit?kind=scorecard&subject=${scorecard}`);
    expect(drop.body.events[0]).toMatchObject({
      type: 'scorecard.levelChanged',
      identifier: entity,
      before: { level: 'Gold' },
      after: { level: 'Basic' },
    });
    await first.close();
    // The restarted server resumes from the stored cursor.
    const second = await startTestPlexus(consuming);
    try {
      await takeLease(second.services);
      await waitFor('the firing to finish', async () => {
        const f = await firingsOf(second.services, id);
        return f.length === 1 && f[0].state === 'done' ? f : undefined;
      });
      for (let i = 0; i < 3; i++) await second.services.automations.consumer!.tick();
      expect(deliveriesOf(id)).toHaveLength(1);
      expect(deliveriesOf(id)[0]).toMatchObject({
        event: { type: 'scorecard.levelChanged', entity: `${bp}:${entity}` },
        before: { level: 'Gold' },
        after: { level: 'Basic' },
      });
      expect(await firingsOf(second.services, id)).toHaveLength(1);
    } finally {
      await second.close();
      await setTier(setup, 1);
      await setup.call('DELETE', `/api/v1/automations/${id}`);
    }
  }, 180_000);

  it('fires once when the server is killed after recording the firing and before delivering it', async () => {
    const id = await createAutomation(setup);
    let stoppedAt: string | null = null;
    // A server whose consumer dies right after the firing and the cursor committed, before the
    // webhook goes out (a failpoint; otherwise the consumer the server builds).
    const first = await startTestPlexus(notConsuming);
    const second = { px: null as TestPlexus | null };
    try {
      const dying = createAutomationConsumer({
        db: first.services.db,
        store: first.services.automations.store,
        catalog: first.services.catalog,
        egress: first.services.egress,
        logger: first.services.logger,
        options: {
          holder: first.services.jobs.holder,
          pollMs: 100,
          leaseTtlMs: 2000,
          failpoint: (stage, f) => {
            if (stage === 'recorded' && f.automation === id) {
              stoppedAt = f.key;
              throw new Error('killed');
            }
          },
        },
      });
      await takeLease(first.services);
      await setTier(first, null);
      await waitFor('the first server to die after recording', () => stoppedAt ?? undefined);
      const recorded = await firingsOf(first.services, id);
      expect(recorded).toEqual([{ key: stoppedAt, state: 'pending', attempts: 0 }]);
      expect(deliveriesOf(id)).toHaveLength(0);
      dying.halt();
      await first.close();
      // The restarted server finds the recorded firing and delivers it; nothing fires twice.
      second.px = await startTestPlexus(consuming);
      await takeLease(second.px.services);
      await waitFor('the firing to finish', async () => {
        const f = await firingsOf(second.px!.services, id);
        return f.length === 1 && f[0].state === 'done' ? f : undefined;
      });
      for (let i = 0; i < 3; i++) await second.px.services.automations.consumer!.tick();
      expect(deliveriesOf(id)).toHaveLength(1);
      expect(deliveriesOf(id)[0].delivery).toBe(stoppedAt);
      expect(await firingsOf(second.px.services, id)).toEqual([
        { key: stoppedAt, state: 'done', attempts: 1 },
      ]);
    } finally {
      await second.px?.close();
      await setTier(setup, 1);
      await setup.call('DELETE', `/api/v1/automations/${id}`);
    }
  }, 180_000);
});
