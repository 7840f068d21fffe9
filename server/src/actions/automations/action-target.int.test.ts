import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, writeRows } from '../../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../../test-support.ts';
import { createAutomationConsumer } from './consumer.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/** Automations whose target is an action: run as the automation's own identity, loops cut at the depth limit. */
let px: TestPlexus;
let bp: string;

const firingsOf = (automation: string) =>
  readRows<{ state: string; depth: number; runId: string | null; error: string | null }>(
    px.services.db,
    'MATCH (f:_AutomationFiring {automation: $automation}) RETURN f.state AS state, f.depth AS depth, f.runId AS runId, f.error AS error ORDER BY f.seq',
    { automation },
  );

beforeAll(async () => {
  px = await startTestPlexus({ automations: { pollMs: 100, maxDepth: 3, expirySweepMs: 60_000 } });
  // This server's consumer is the one under test (other test files' servers share the database).
  await writeRows(
    px.services.db,
    "MERGE (l:_Lease {name: 'automations'}) SET l.holder = $holder, l.until = timestamp() + 30000",
    { holder: px.services.jobs.holder },
  );
  bp = uniqueId('act');
  const res = await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Acted on',
    schema: { properties: { tier: { type: 'integer' } } },
  });
  expect(res.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await px?.close();
});

/** A DAY-2 action that bumps the entity's tier by one (upsert-entity: no engine), executable by `users`. */
async function bumpAction(users: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const id = uniqueId('bump-').toLowerCase();
  const res = await px.call('POST', '/api/v1/actions', {
    identifier: id,
    title: 'Bump tier',
    blueprint: bp,
    operation: 'DAY-2',
    inputs: { properties: { reason: { type: 'string' } } },
    invoker: {
      type: 'upsert-entity',
      mapping: {
        jsonata: `{"blueprint": "${bp}", "identifier": entity.identifier, "properties": {"tier": entity.properties.tier + 1}}`,
      },
    },
    permissions: { execute: { users } },
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return id;
}

describe('action targets', () => {
  it('runs the action as the automation, and cuts the loop its own writes make at the depth limit', async () => {
    const automation = uniqueId('chain-').toLowerCase();
    const action = await bumpAction([`automation:${automation}`]);
    const created = await px.call('POST', '/api/v1/automations', {
      identifier: automation,
      title: 'Bump on every update',
      trigger: { type: 'entity.updated', blueprint: bp },
      target: {
        type: 'action',
        action,
        inputs: { jsonata: '{"reason": "tier is now " & $string(after.properties.tier)}' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const e = uniqueId('e');
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 2 } });
    // Person → tier 2 (fires, depth 1) → run writes 3 (depth 2) → 4 (depth 3) → 5 (depth 4: cut).
    const all = await waitFor('the chain to be cut', async () => {
      const f = await firingsOf(automation);
      return f.length === 4 && f.every((x) => x.state !== 'pending' && x.state !== 'running') ? f : undefined;
    });
    expect(all.map((f) => [f.state, f.depth])).toEqual([
      ['done', 1],
      ['done', 2],
      ['done', 3],
      ['cut', 4],
    ]);
    const entity = await px.call('GET', `/api/v1/blueprints/${bp}/entities/${e}`);
    expect(entity.body.properties.tier).toBe(5);
    // The last run ends once its write is stored: wait for it.
    const runs = await waitFor('the three runs to end', async () => {
      const got = await Promise.all(all.slice(0, 3).map((f) => px.call('GET', `/api/v1/runs/${f.runId}`)));
      return got.every((r) => r.body.status !== 'IN_PROGRESS') ? got : undefined;
    });
    expect(runs.map((r) => [r.body.status, r.body.createdBy, r.body.entity, r.body.inputs.reason])).toEqual([
      ['SUCCESS', `automation:${automation}`, `${bp}:${e}`, 'tier is now 2'],
      ['SUCCESS', `automation:${automation}`, `${bp}:${e}`, 'tier is now 3'],
      ['SUCCESS', `automation:${automation}`, `${bp}:${e}`, 'tier is now 4'],
    ]);
    const status = await px.call('GET', `/api/v1/automations/${automation}`);
    expect(status.body.status.lastError).toMatch(/loop cut/);
    // The run is audited as the automation's.
    const audit = await px.call('GET', `/api/v1/audit?kind=run&subject=${all[0].runId}`);
    expect(audit.body.events.at(-1)).toMatchObject({
      type: 'run.created',
      actor: `automation:${automation}`,
    });
    await px.call('DELETE', `/api/v1/automations/${automation}`);
  }, 120_000);

  it('reports a firing whose action the automation may not run, and runs nothing', async () => {
    const automation = uniqueId('denied-').toLowerCase();
    const action = await bumpAction(['somebody-else']);
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          identifier: automation,
          title: 'Not allowed',
          trigger: { type: 'entity.created', blueprint: bp },
          target: { type: 'action', action },
        })
      ).status,
    ).toBe(201);
    const e = uniqueId('e');
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
    const [f] = await waitFor('the firing to fail', async () => {
      const got = await firingsOf(automation);
      return got.length === 1 && got[0].state === 'failed' ? got : undefined;
    });
    expect(f.error).toMatch(/may not run/);
    expect(f.runId).toBeNull();
    expect((await px.call('GET', `/api/v1/automations/${automation}`)).body.status.lastError).toMatch(
      /may not run/,
    );
    expect((await px.call('GET', `/api/v1/blueprints/${bp}/entities/${e}`)).body.properties.tier).toBe(1);
    await px.call('DELETE', `/api/v1/automations/${automation}`);
  }, 120_000);

  it('refuses an automation naming an action that does not exist', async () => {
    const res = await px.call('POST', '/api/v1/automations', {
      identifier: uniqueId('none-').toLowerCase(),
      title: 'Nothing to run',
      trigger: { type: 'entity.created', blueprint: bp },
      target: { type: 'action', action: 'no-such-action' },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: '/target/action' })]);
  });

  it('fires on a run status change (a cancelled run), filtered by action and status', async () => {
    const automation = uniqueId('oncancel-').toLowerCase();
    const bump = await bumpAction([`automation:${automation}`]);
    const gated = await bumpAction(['admin'], {
      approval: { required: true },
      permissions: { execute: { roles: ['admin'] } },
    });
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          identifier: automation,
          title: 'Bump when a gated run is cancelled',
          trigger: { type: 'run.statusChanged', action: gated, status: ['CANCELLED'] },
          target: { type: 'action', action: bump },
        })
      ).status,
    ).toBe(201);
    const e = uniqueId('e');
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
    const run = await px.call('POST', `/api/v1/actions/${gated}/runs`, { entity: `${bp}:${e}`, inputs: {} });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    expect(run.body.status).toBe('WAITING_FOR_APPROVAL');
    expect((await px.call('POST', `/api/v1/runs/${run.body.id}/cancel`)).status).toBe(200);
    const [f] = await waitFor('the firing to finish', async () => {
      const got = await firingsOf(automation);
      return got.length === 1 && got[0].state === 'done' ? got : undefined;
    });
    expect(f.depth).toBe(1);
    // The firing stored the run; the run then bumps the tier.
    await waitFor('the bump run to write', async () => {
      const got = await px.call('GET', `/api/v1/blueprints/${bp}/entities/${e}`);
      return got.body.properties.tier === 2 ? true : undefined;
    });
    // The bump run's own creation is another action's: no second firing.
    await px.services.automations.consumer!.tick();
    expect(await firingsOf(automation)).toHaveLength(1);
    await px.call('DELETE', `/api/v1/automations/${automation}`);
  }, 120_000);

  it('does not run an action again when the replica died while starting it (at most once)', async () => {
    const automation = uniqueId('crash-').toLowerCase();
    const action = await bumpAction([`automation:${automation}`]);
    expect(
      (
        await px.call('POST', '/api/v1/automations', {
          identifier: automation,
          title: 'Bump on create',
          trigger: { type: 'entity.created', blueprint: bp },
          target: { type: 'action', action },
          enabled: false,
        })
      ).status,
    ).toBe(201);
    // A consumer that dies after marking the firing running, before the run is stored.
    let died = false;
    const dying = createAutomationConsumer({
      db: px.services.db,
      store: px.services.automations.store,
      catalog: px.services.catalog,
      egress: px.services.egress,
      logger: px.services.logger,
      actions: () => px.services.actions,
      options: {
        holder: 'dying-replica',
        pollMs: 50,
        leaseTtlMs: 60_000,
        failpoint: (stage, f) => {
          if (stage === 'claimed' && f.automation === automation) {
            died = true;
            throw new Error('killed');
          }
        },
      },
    });
    const holder = px.services.jobs.holder;
    try {
      await writeRows(
        px.services.db,
        "MATCH (l:_Lease {name: 'automations'}) SET l.holder = 'dying-replica', l.until = timestamp() + 60000",
      );
      const def = (await px.call('GET', `/api/v1/automations/${automation}`)).body;
      expect(
        (
          await px.call('PUT', `/api/v1/automations/${automation}`, {
            ...def,
            enabled: true,
            status: undefined,
          })
        ).status,
      ).toBe(200);
      const e = uniqueId('e');
      await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: e, properties: { tier: 1 } });
      await waitFor('the consumer to die', async () => (died ? true : undefined));
      expect((await firingsOf(automation)).map((f) => f.state)).toEqual(['running']);
      dying.halt();
      // This server takes over: the firing is reported interrupted, the action is not run.
      await writeRows(
        px.services.db,
        "MATCH (l:_Lease {name: 'automations'}) SET l.holder = $holder, l.until = timestamp() + 30000",
        { holder },
      );
      const [f] = await waitFor('the firing to be settled', async () => {
        const got = await firingsOf(automation);
        return got.length === 1 && got[0].state !== 'running' ? got : undefined;
      });
      expect(f.state).toBe('interrupted');
      expect(f.runId).toBeNull();
      expect((await px.call('GET', `/api/v1/blueprints/${bp}/entities/${e}`)).body.properties.tier).toBe(1);
      expect((await px.call('GET', `/api/v1/runs?action=${action}`)).body.runs).toEqual([]);
    } finally {
      dying.halt();
      await writeRows(
        px.services.db,
        "MATCH (l:_Lease {name: 'automations'}) SET l.holder = $holder, l.until = timestamp() + 30000",
        { holder },
      );
      await px.call('DELETE', `/api/v1/automations/${automation}`);
    }
  }, 120_000);
});
