import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { waitFor } from './test-executor.ts';

/**
 * Approvers and pickers that depend on the graph: the target entity's owning team, team and role
 * approvers, and entity-picker inputs checked against the catalog. Runs use the upsert-entity
 * invoker, so no engine is needed.
 */
let px: TestPlexus;
const u = uniqueId('');
const bp = { team: `team${u}`, svc: `svc${u}`, db: `db${u}` };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  px = await startTestPlexus();
  for (const b of [
    { identifier: bp.team, title: 'Team', schema: { properties: {} } },
    { identifier: bp.db, title: 'Database', schema: { properties: { engine: { type: 'string' } } } },
    {
      identifier: bp.svc,
      title: 'Service',
      schema: { properties: { note: { type: 'string' } } },
      relations: { ownedBy: { target: bp.team } },
    },
  ]) {
    expect((await px.call('POST', '/api/v1/blueprints', b)).status).toBe(201);
  }
  expect(
    (
      await px.call('POST', '/api/v1/entities/bulk', {
        entities: [
          { blueprint: bp.team, identifier: `payments${u}` },
          { blueprint: bp.team, identifier: `search${u}` },
          { blueprint: bp.svc, identifier: 'checkout', relations: { ownedBy: `payments${u}` } },
          { blueprint: bp.db, identifier: 'orders-pg', properties: { engine: 'postgres' } },
          { blueprint: bp.db, identifier: 'cache', properties: { engine: 'redis' } },
        ],
      })
    ).status,
  ).toBe(200);
  const users = [
    { id: `requester-${u}`, role: 'member', teams: [`search${u}`] },
    { id: `owner-${u}`, role: 'member', teams: [`payments${u}`] },
    { id: `outsider-${u}`, role: 'member', teams: [`search${u}`] },
  ];
  for (const user of users) {
    expect((await px.call('POST', '/api/v1/users', user)).status).toBe(201);
    const t = await px.call('POST', '/api/v1/tokens', { name: user.id, role: 'member', user: user.id });
    expect(t.status).toBe(201);
    tokens[user.id.split('-')[0]] = t.body.token;
  }
}, 120_000);

afterAll(async () => {
  await px?.close();
});

async function action(def: Record<string, unknown>) {
  const identifier = uniqueId('a-');
  const res = await px.call('POST', '/api/v1/actions', {
    identifier,
    title: identifier,
    blueprint: bp.svc,
    operation: 'DAY-2',
    inputs: { properties: {} },
    invoker: {
      type: 'upsert-entity',
      mapping: {
        jsonata: `{"blueprint": "${bp.svc}", "identifier": entity.identifier, "properties": {"note": "touched by " & run.id}, "relations": entity.relations}`,
      },
    },
    ...def,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return identifier;
}

describe('approvals by the owning team', () => {
  it("lets only a member of the target entity's owning team approve, and lists the run in their inbox only", async () => {
    const act = await action({ approval: { required: true, approvers: { owners: true } } });
    const started = await px.call(
      'POST',
      `/api/v1/actions/${act}/runs`,
      { entity: `${bp.svc}:checkout` },
      { token: tokens.requester },
    );
    expect(started.body.status).toBe('WAITING_FOR_APPROVAL');
    const inbox = async (who: string) =>
      (await px.call('GET', '/api/v1/runs?approver=me', undefined, { token: tokens[who] })).body.runs.map(
        (r: { id: string }) => r.id,
      );
    expect(await inbox('owner')).toContain(started.body.id);
    expect(await inbox('outsider')).not.toContain(started.body.id);
    expect(await inbox('requester')).not.toContain(started.body.id);
    expect(
      (
        await px.call(
          'POST',
          `/api/v1/runs/${started.body.id}/approval`,
          { decision: 'approve' },
          { token: tokens.outsider },
        )
      ).status,
    ).toBe(403);
    const approved = await px.call(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      { token: tokens.owner },
    );
    expect(approved.status).toBe(200);
    const run = await waitFor('the run to end', async () => {
      const r = (await px.call('GET', `/api/v1/runs/${started.body.id}`)).body;
      return r.endedAt ? r : null;
    });
    expect(run).toMatchObject({ status: 'SUCCESS', affectedEntities: [`${bp.svc}:checkout`] });
    const audit = await px.call('GET', `/api/v1/audit?kind=run&subject=${started.body.id}`);
    // Every status change is audited with the change (automations react to them): who made it, from what to what.
    const trail = audit.body.events.map(
      (e: { type: string; actor: string; before: { status: string } | null; after: { status: string } }) =>
        `${e.type} ${e.actor} ${e.before?.status ?? '-'}>${e.after.status}`,
    );
    expect(trail.sort()).toEqual([
      `run.created requester-${u} ->WAITING_FOR_APPROVAL`,
      `run.updated owner-${u} WAITING_FOR_APPROVAL>IN_PROGRESS`,
      // The approval itself, recorded in the transaction that stores it.
      `run.updated owner-${u} WAITING_FOR_APPROVAL>WAITING_FOR_APPROVAL`,
      'run.updated plexus IN_PROGRESS>SUCCESS',
    ]);
  });

  it('pages the inbox with a cursor: full pages though most waiting runs are not for the caller', async () => {
    const mine = await action({ approval: { required: true, approvers: { owners: true } } });
    const others = await action({ approval: { required: true, approvers: { teams: [`search${u}`] } } });
    const expected: string[] = [];
    // Newest first: 5 runs the owner may approve, each between 3 the owner may not.
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 3; j++)
        await px.call('POST', `/api/v1/actions/${others}/runs`, { entity: `${bp.svc}:checkout` }, { token: tokens.requester });
      const r = await px.call('POST', `/api/v1/actions/${mine}/runs`, { entity: `${bp.svc}:checkout` }, { token: tokens.requester });
      expect(r.body.status).toBe('WAITING_FOR_APPROVAL');
      expected.unshift(r.body.id);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/v1/runs?approver=me&action=${mine}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await px.call('GET', q, undefined, { token: tokens.owner });
      expect(page.status).toBe(200);
      sizes.push(page.body.runs.length);
      seen.push(...page.body.runs.map((r: { id: string }) => r.id));
      cursor = page.body.next;
    } while (cursor && sizes.length < 10);
    expect(seen).toEqual(expected);
    expect(sizes.slice(0, 2)).toEqual([2, 2]);
    // Without the action filter the other action's runs are read and skipped, and pages are still full.
    const mixed = await px.call('GET', '/api/v1/runs?approver=me&limit=3', undefined, { token: tokens.owner });
    expect(mixed.body.runs).toHaveLength(3);
    expect(mixed.body.runs.map((r: { id: string }) => r.id)).toEqual(expected.slice(0, 3));
  });

  it('with ALL over a team and the owners, needs one approval from each', async () => {
    const act = await action({
      approval: { required: true, type: 'ALL', approvers: { teams: [`search${u}`], owners: true } },
    });
    const started = await px.call('POST', `/api/v1/actions/${act}/runs`, { entity: `${bp.svc}:checkout` });
    const first = await px.call(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      { token: tokens.outsider },
    );
    expect(first.body.status).toBe('WAITING_FOR_APPROVAL');
    const second = await px.call(
      'POST',
      `/api/v1/runs/${started.body.id}/approval`,
      { decision: 'approve' },
      { token: tokens.owner },
    );
    expect(second.body.status).toBe('IN_PROGRESS');
  });
});

describe('entity-picker inputs', () => {
  it("accepts an entity of the picker's blueprint that matches its dataset, and names the field otherwise", async () => {
    const act = await action({
      inputs: {
        properties: {
          database: {
            type: 'string',
            format: 'entity',
            blueprint: bp.db,
            dataset: { rules: [{ property: 'engine', operator: '=', value: 'postgres' }] },
          },
        },
        required: ['database'],
      },
    });
    const ok = await px.call('POST', `/api/v1/actions/${act}/runs`, {
      entity: `${bp.svc}:checkout`,
      inputs: { database: 'orders-pg' },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    for (const database of ['cache', 'nope']) {
      const bad = await px.call('POST', `/api/v1/actions/${act}/runs`, {
        entity: `${bp.svc}:checkout`,
        inputs: { database },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([
        { path: 'inputs.database', message: expect.stringContaining('is not a') },
      ]);
    }
  });
});
