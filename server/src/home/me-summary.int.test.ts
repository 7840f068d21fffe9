import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { readMeSummary } from './me-summary.ts';

let px: TestPlexus;
const u = uniqueId('');
const bp = { team: `team${u}`, svc: `svc${u}`, inc: `inc${u}`, secret: `sec${u}` };
const team = { mine: `mine-${u}`, other: `other-${u}`, empty: `empty-${u}` };
const sc = `sc${u}`;
let memberToken = '';

/** Setup calls, retried while the busy test database is reported unavailable (503). */
async function setup(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    const r = await px.call(method, path, body);
    if (r.status !== 503 || attempt >= 10) return r;
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

beforeAll(async () => {
  px = await startTestPlexus();
  const blueprints = [
    { identifier: bp.team, title: 'Team', schema: { properties: {} } },
    {
      identifier: bp.svc,
      title: 'Service',
      schema: { properties: { tier: { type: 'integer' } } },
      relations: { ownedBy: { target: bp.team } },
    },
    {
      identifier: bp.secret,
      title: 'Secret thing',
      schema: { properties: {} },
      relations: { ownedBy: { target: bp.team } },
      permissions: { read: { roles: ['admin'] } },
    },
    {
      identifier: bp.inc,
      title: 'Incident',
      schema: { properties: { status: { type: 'string' }, severity: { type: 'string' } } },
      relations: { affects: { target: bp.svc, many: true } },
    },
  ];
  for (const b of blueprints)
    expect((await setup('POST', '/api/v1/blueprints', b)).status, b.identifier).toBe(201);
  const entities = [
    { blueprint: bp.team, identifier: team.mine, title: 'Mine' },
    { blueprint: bp.team, identifier: team.other, title: 'Other' },
    { blueprint: bp.svc, identifier: 'a', properties: { tier: 1 }, relations: { ownedBy: team.mine } },
    { blueprint: bp.svc, identifier: 'b', relations: { ownedBy: team.mine } },
    { blueprint: bp.svc, identifier: 'c', properties: { tier: 2 }, relations: { ownedBy: team.other } },
    { blueprint: bp.secret, identifier: 'hidden', relations: { ownedBy: team.mine } },
    {
      blueprint: bp.inc,
      identifier: 'inc-open',
      properties: { status: 'triggered', severity: 'sev2' },
      relations: { affects: ['a'] },
    },
    {
      blueprint: bp.inc,
      identifier: 'inc-worse',
      properties: { status: 'acknowledged', severity: 'sev1' },
      relations: { affects: ['a', 'b'] },
    },
    {
      blueprint: bp.inc,
      identifier: 'inc-done',
      properties: { status: 'resolved', severity: 'sev1' },
      relations: { affects: ['b'] },
    },
    {
      blueprint: bp.inc,
      identifier: 'inc-elsewhere',
      properties: { status: 'triggered' },
      relations: { affects: ['c'] },
    },
  ];
  expect((await setup('POST', '/api/v1/entities/bulk', { entities })).status).toBe(200);
  // The newest change: b is written again after everything else.
  expect(
    (
      await setup('POST', '/api/v1/entities/bulk', {
        entities: [
          { blueprint: bp.svc, identifier: 'b', title: 'B again', relations: { ownedBy: team.mine } },
        ],
      })
    ).status,
  ).toBe(200);
  const card = {
    identifier: sc,
    title: 'Basics',
    blueprint: bp.svc,
    rules: [
      {
        identifier: 'has-tier',
        title: 'Has a tier',
        level: 'Bronze',
        property: 'tier',
        operator: 'isNotEmpty',
      },
      {
        identifier: 'tier-one',
        title: 'Tier one',
        level: 'Silver',
        property: 'tier',
        operator: '=',
        value: 1,
      },
    ],
  };
  expect((await setup('POST', '/api/v1/scorecards', card)).status).toBe(201);
  expect((await setup('POST', `/api/v1/scorecards/${sc}/evaluate`)).status).toBe(200);
  expect(
    (
      await setup('POST', '/api/v1/users', {
        id: `member-${u}`,
        role: 'member',
        teams: [team.mine, team.empty],
      })
    ).status,
  ).toBe(201);
  const t = await setup('POST', '/api/v1/tokens', { name: 'home', role: 'member', user: `member-${u}` });
  expect(t.status).toBe(201);
  memberToken = t.body.token;
}, 400_000);
afterAll(async () => {
  await px?.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px?.close();
}, 300_000);

const principal = (teams: string[], role: Principal['role'] = 'admin'): Principal => ({
  id: 'p',
  name: 'P',
  kind: 'user',
  role,
  teams,
  moderates: [],
});

describe('GET /api/v1/me/summary', () => {
  it("answers the caller's teams, what they own and its state, over what the caller may read", async () => {
    const r = await px.call('GET', '/api/v1/me/summary', undefined, { token: memberToken });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ id: `member-${u}`, name: expect.any(String), role: 'member' });
    // The identity's team that is not in the catalog is left out; the admin-only entity is not counted.
    expect(r.body.teams).toEqual([{ identifier: team.mine, blueprint: bp.team, title: 'Mine', owned: 2 }]);
    expect(r.body.owned).toEqual({ total: 2, byBlueprint: [{ blueprint: bp.svc, count: 2 }] });
    expect(r.body.recent.map((e: { identifier: string }) => e.identifier)).toEqual(['b', 'a']);
    expect(r.body.recent[0]).toMatchObject({
      blueprint: bp.svc,
      title: 'B again',
      updatedAt: expect.any(String),
    });
  });

  it('counts scorecard levels and the rules failing most on owned entities', async () => {
    const r = await px.call('GET', '/api/v1/me/summary', undefined, { token: memberToken });
    expect(r.body.levels).toEqual([
      { scorecard: sc, level: 'Basic', count: 1 },
      { scorecard: sc, level: 'Gold', count: 1 },
    ]);
    expect(r.body.failingRules).toEqual(
      [
        { scorecard: sc, rule: 'tier-one', failing: 1 },
        { scorecard: sc, rule: 'has-tier', failing: 1 },
      ].sort((x, y) => x.rule.localeCompare(y.rule)),
    );
  });

  it('admin-only entities count for an admin with the same team', async () => {
    const s = await readMeSummary(
      { db: px.services.db, model: px.services.models.current(), ownerRelation: 'ownedBy' },
      principal([team.mine]),
      px.services.access.scope(principal([team.mine])),
    );
    expect(s.owned).toEqual({
      total: 3,
      byBlueprint: [
        { blueprint: bp.svc, count: 2 },
        { blueprint: bp.secret, count: 1 },
      ],
    });
  });

  it('lists open signals on owned entities, worst first, once each, without closed or foreign ones', async () => {
    const p = principal([team.mine], 'member');
    const s = await readMeSummary(
      { db: px.services.db, model: px.services.models.current(), ownerRelation: 'ownedBy' },
      p,
      px.services.access.scope(p),
      { signals: [bp.inc] },
    );
    expect(s.signals).toEqual([
      {
        blueprint: bp.inc,
        count: 2,
        top: [
          {
            identifier: 'inc-worse',
            blueprint: bp.inc,
            title: null,
            severity: 'sev1',
            status: 'acknowledged',
          },
          { identifier: 'inc-open', blueprint: bp.inc, title: null, severity: 'sev2', status: 'triggered' },
        ],
      },
    ]);
  });

  it('answers empty lists to a caller without a team (the UI shows the organisation overview then)', async () => {
    const r = await px.call('GET', '/api/v1/me/summary');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      teams: [],
      owned: { total: 0, byBlueprint: [] },
      recent: [],
      levels: [],
      failingRules: [],
      signals: [],
    });
  });

  it('needs a token', async () => {
    expect((await px.call('GET', '/api/v1/me/summary', undefined, { token: null })).status).toBe(401);
  });
});
