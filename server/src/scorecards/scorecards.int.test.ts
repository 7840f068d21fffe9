import { labelOf, pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleSlots } from '../auth/read-scope-cypher.ts';
import { writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { silentLogger } from '../log.ts';
import { planOperators, startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createScorecardService } from './scorecard-service.ts';

let px: TestPlexus;
let team: string;
let lib: string;
let svc: string;
let vuln: string;
let sc: string;

// Services, what they depend on and who owns them:
//   gold        owned by oncall, tier 1, runbook, depends on lib ok
//   bronze      owned by quiet (no on-call), tier 2
//   basic       no owner
//   vuln-deep   like gold, but lib top -> mid -> bad, and a critical vulnerability affects bad (3 deep)
//   vuln-far    like gold, but lib far -> top -> mid -> bad (4 deep: out of the rule's reach)
beforeAll(async () => {
  px = await startTestPlexus();
  team = uniqueId('team');
  lib = uniqueId('lib');
  svc = uniqueId('svc');
  vuln = uniqueId('vuln');
  sc = uniqueId('sc');
  const bp = async (def: Record<string, unknown>) =>
    expect((await px.call('POST', '/api/v1/blueprints', def)).status).toBe(201);
  await bp({ identifier: team, title: 'Team', schema: { properties: { onCallUrl: { type: 'string' } } } });
  await bp({
    identifier: lib,
    title: 'Library',
    schema: { properties: { lifecycle: { type: 'string' } } },
    relations: { dependsOn: { target: lib, many: true } },
  });
  await bp({
    identifier: svc,
    title: 'Service',
    schema: {
      properties: {
        tier: { type: 'integer' },
        runbookUrl: { type: 'string' },
        lifecycle: { type: 'string' },
      },
    },
    relations: { ownedBy: { target: team, many: false }, dependsOn: { target: [svc, lib], many: true } },
  });
  await bp({
    identifier: vuln,
    title: 'Vulnerability',
    schema: { properties: { severity: { type: 'string' }, status: { type: 'string' } } },
    relations: { affects: { target: [svc, lib], many: true } },
  });
  const entities = [
    { blueprint: team, identifier: 'oncall', properties: { onCallUrl: 'https://pager.example/oncall' } },
    { blueprint: team, identifier: 'quiet' },
    { blueprint: lib, identifier: 'ok' },
    { blueprint: lib, identifier: 'bad' },
    { blueprint: lib, identifier: 'mid', relations: { dependsOn: ['bad'] } },
    { blueprint: lib, identifier: 'top', relations: { dependsOn: ['mid'] } },
    { blueprint: lib, identifier: 'far', relations: { dependsOn: ['top'] } },
    {
      blueprint: vuln,
      identifier: 'cve-1',
      properties: { severity: 'critical', status: 'open' },
      relations: { affects: [`${lib}:bad`] },
    },
    {
      blueprint: svc,
      identifier: 'gold',
      properties: { tier: 1, runbookUrl: 'https://run.example/gold', lifecycle: 'production' },
      relations: { ownedBy: 'oncall', dependsOn: [`${lib}:ok`] },
    },
    {
      blueprint: svc,
      identifier: 'bronze',
      properties: { tier: 2, lifecycle: 'production' },
      relations: { ownedBy: 'quiet' },
    },
    { blueprint: svc, identifier: 'basic', properties: { tier: 3, lifecycle: 'experimental' } },
    {
      blueprint: svc,
      identifier: 'vuln-deep',
      properties: { tier: 1, runbookUrl: 'https://run.example/d', lifecycle: 'production' },
      relations: { ownedBy: 'oncall', dependsOn: [`${lib}:top`] },
    },
    {
      blueprint: svc,
      identifier: 'vuln-far',
      properties: { tier: 1, runbookUrl: 'https://run.example/f', lifecycle: 'production' },
      relations: { ownedBy: 'oncall', dependsOn: [`${lib}:far`] },
    },
  ];
  expect((await px.call('POST', '/api/v1/entities/bulk', { entities })).status).toBe(200);
  const created = await px.call('POST', '/api/v1/scorecards', scorecard(sc));
  expect(created.status).toBe(201);
  await px.services.scorecards.idle();
});

afterAll(async () => {
  await px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px?.close();
});

function scorecard(identifier: string, extra: Record<string, unknown> = {}) {
  return {
    identifier,
    title: 'Production readiness',
    blueprint: svc,
    rules: [
      {
        identifier: 'has-owner',
        title: 'Has an owner',
        level: 'Bronze',
        cypher: `EXISTS { (e)-[:OWNED_BY]->(:${labelOf(team)}) }`,
      },
      {
        identifier: 'tier-set',
        title: 'Tier is set',
        level: 'Bronze',
        property: 'tier',
        operator: 'isNotEmpty',
      },
      {
        identifier: 'has-on-call',
        title: 'Has on-call',
        level: 'Silver',
        cypher: `EXISTS { (e)-[:OWNED_BY]->(t:${labelOf(team)}) WHERE t.onCallUrl IS NOT NULL }`,
      },
      {
        identifier: 'no-critical-vulns',
        title: 'No critical vulnerability in dependencies',
        level: 'Silver',
        cypher: `NOT EXISTS { (e)-[:DEPENDS_ON*0..3]->()<-[:AFFECTS]-(:${labelOf(vuln)} {severity: 'critical'}) }`,
      },
      {
        identifier: 'has-runbook',
        title: 'Has a runbook',
        level: 'Gold',
        property: 'runbookUrl',
        operator: 'isNotEmpty',
      },
    ],
    ...extra,
  };
}

async function levels(identifier = sc, query = ''): Promise<Record<string, string>> {
  const r = await px.call('GET', `/api/v1/scorecards/${identifier}/results${query}`);
  expect(r.status).toBe(200);
  return Object.fromEntries(
    r.body.results.map((x: { entity: string; level: string }) => [x.entity, x.level]),
  );
}

describe('evaluation', () => {
  it('gives each entity the highest level whose rules, and those of every level below, pass', async () => {
    await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`);
    expect(await levels()).toEqual({
      basic: 'Basic',
      bronze: 'Bronze',
      gold: 'Gold',
      'vuln-deep': 'Bronze',
      'vuln-far': 'Gold',
    });
  });

  it('looks across relations: a critical vulnerability three dependencies down fails the rule, four down does not', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?entity=vuln-deep`);
    expect(r.body.results[0].rules).toContainEqual({ identifier: 'no-critical-vulns', passed: false });
    const far = await px.call('GET', `/api/v1/scorecards/${sc}/results?entity=vuln-far`);
    expect(far.body.results[0].rules).toContainEqual({ identifier: 'no-critical-vulns', passed: true });
  });

  it('returns the rules of a result in the order of the scorecard', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?entity=bronze`);
    expect(r.body.results[0]).toMatchObject({
      entity: 'bronze',
      blueprint: svc,
      level: 'Bronze',
      rules: [
        { identifier: 'has-owner', passed: true },
        { identifier: 'tier-set', passed: true },
        { identifier: 'has-on-call', passed: false },
        { identifier: 'no-critical-vulns', passed: true },
        { identifier: 'has-runbook', passed: false },
      ],
    });
  });

  it('summarises an evaluation per level and per rule', async () => {
    const r = await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ scorecard: sc, mode: 'full', evaluated: 5, errors: [] });
    expect(r.body.levels).toEqual([
      { level: 'Basic', count: 1 },
      { level: 'Bronze', count: 2 },
      { level: 'Silver', count: 0 },
      { level: 'Gold', count: 2 },
    ]);
    expect(r.body.rules).toContainEqual({ identifier: 'has-owner', passed: 4, failed: 1 });
  });

  it('writes nothing back when nothing changed, yet shows every result confirmed by the run', async () => {
    await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`);
    const again = await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`);
    expect(again.body).toMatchObject({ evaluated: 5, written: 0, changed: 0 });
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?entity=gold`);
    expect(r.body.results[0].evaluatedAt).toBe(again.body.evaluatedAt);
    expect(r.body.results[0].changedAt < again.body.evaluatedAt).toBe(true);
  });

  it('compares results stored without an outcome hash by their outcome, and leaves them unwritten', async () => {
    await writeRows(
      px.services.db,
      'MATCH (r:_ScoreResult {scorecard: $sc}) REMOVE r.hash RETURN count(r) AS n',
      { sc },
    );
    const again = await px.call('POST', `/api/v1/scorecards/${sc}/evaluate`);
    expect(again.body).toMatchObject({ evaluated: 5, written: 0, changed: 0 });
  });

  it('writes a full run in batches while its rows arrive, the same results as in one batch', async () => {
    const before = await levels();
    await writeRows(
      px.services.db,
      'MATCH (r:_ScoreResult {scorecard: $sc}) DETACH DELETE r RETURN count(*) AS n',
      { sc },
    );
    // A second service on the same database, writing two results at a time.
    const small = createScorecardService({
      db: px.services.db,
      models: px.services.models,
      events: px.services.events,
      logger: silentLogger,
      options: { live: false, scheduleMs: 0, batchSize: 2 },
    });
    try {
      expect(await small.evaluate(sc)).toMatchObject({ evaluated: 5, written: 5 });
      expect(await levels()).toEqual(before);
      expect(await small.evaluate(sc)).toMatchObject({ evaluated: 5, written: 0 });
    } finally {
      small.stop();
    }
  });

  it('stores the latest summary with the scorecard', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}`);
    expect(r.body.status).toMatchObject({ entities: 5, errors: [] });
    expect(r.body.status.evaluatedAt).toEqual(expect.any(String));
  });
});

describe('results', () => {
  it('lists the entities below a level ("services below Silver")', async () => {
    expect(Object.keys(await levels(sc, '?below=Silver')).sort()).toEqual(['basic', 'bronze', 'vuln-deep']);
  });

  it('lists the entities at a level', async () => {
    expect(Object.keys(await levels(sc, '?level=Gold')).sort()).toEqual(['gold', 'vuln-far']);
  });

  it('pages with a cursor', async () => {
    const first = await px.call('GET', `/api/v1/scorecards/${sc}/results?limit=3`);
    expect(first.body.results.map((r: { entity: string }) => r.entity)).toEqual(['basic', 'bronze', 'gold']);
    const second = await px.call('GET', `/api/v1/scorecards/${sc}/results?limit=3&cursor=${first.body.next}`);
    expect(second.body.results.map((r: { entity: string }) => r.entity)).toEqual(['vuln-deep', 'vuln-far']);
    expect(second.body.next).toBeNull();
  });

  it('pages results and level changes along an index, so a page costs the same however many entities are scored', async () => {
    const everything = { unrestricted: true, all: [], owned: {}, teams: [] };
    const common = { scorecard: sc, entity: null, limit: 51, authReadAll: [], authReadOwned: {}, authTeams: [] };
    const results = await planOperators(px.services.db, loadQuery('scorecards/list-results', visibleSlots(everything, 'e')), {
      ...common,
      level: null,
      below: 2,
      after: '',
    });
    const changes = await planOperators(px.services.db, loadQuery('scorecards/list-level-changes', visibleSlots(everything, 'e')), {
      ...common,
      lower: '',
      upper: '9999',
      beforeEntity: null,
    });
    for (const ops of [results, changes]) {
      // A composite index seek (scorecard equal, then entity, or time and entity, from a range) hands
      // the rows over in the listing's order: nothing is sorted, not even rows of the same time.
      expect(ops.some((o) => /^Node(Unique)?IndexSeek/.test(o)), ops.join(' < ')).toBe(true);
      expect(ops.filter((o) => /Sort|Top/.test(o)), ops.join(' < ')).toEqual([]);
    }
    // The cursor's time is the top of the index range: pages of 2 add up to the whole history, none twice.
    const all = (await px.call('GET', `/api/v1/scorecards/${sc}/history?limit=1000`)).body.changes.map((c: { entity: string; at: string }) => `${c.at} ${c.entity}`);
    expect(all.length).toBeGreaterThan(2);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await px.call('GET', `/api/v1/scorecards/${sc}/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      paged.push(...page.body.changes.map((c: { entity: string; at: string }) => `${c.at} ${c.entity}`));
      cursor = page.body.next;
    } while (cursor);
    expect(paged).toEqual(all);
    expect((await px.call('GET', `/api/v1/scorecards/${sc}/history?cursor=WzEsMl0`)).status).toBe(400);
  });

  it('refuses a level the scorecard does not have', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?below=Platinum`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^below must be one of Basic, Bronze, Silver, Gold/);
  });

  it("shows an entity's scorecards with what it needs for the next level", async () => {
    const r = await px.call('GET', `/api/v1/blueprints/${svc}/entities/bronze/scorecards`);
    expect(r.status).toBe(200);
    const [card] = r.body.scorecards.filter((s: { identifier: string }) => s.identifier === sc);
    expect(card).toMatchObject({ level: 'Bronze', nextLevel: 'Silver', score: 0.6 });
    expect(
      card.rules
        .filter((x: { passed: boolean; level: string }) => !x.passed && x.level === 'Silver')
        .map((x: { identifier: string }) => x.identifier),
    ).toEqual(['has-on-call']);
  });

  it('answers an empty list for an entity no scorecard scores, and 404 for one that does not exist', async () => {
    const plain = uniqueId('plain');
    expect((await px.call('POST', '/api/v1/blueprints', { identifier: plain, schema: { properties: {} } })).status).toBe(201);
    expect((await px.call('POST', `/api/v1/blueprints/${plain}/entities`, { identifier: 'lonely' })).status).toBe(201);
    const none = await px.call('GET', `/api/v1/blueprints/${plain}/entities/lonely/scorecards`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ scorecards: [] });
    const missing = await px.call('GET', `/api/v1/blueprints/${plain}/entities/nobody/scorecards`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('"nobody"');
  });

  it('hides results of entities the caller may not read', async () => {
    const secret = uniqueId('sec');
    const card = uniqueId('sc');
    await px.call('POST', '/api/v1/blueprints', {
      identifier: secret,
      title: 'Secret',
      schema: { properties: {} },
      permissions: { read: { roles: ['member'] } },
    });
    await px.call('POST', `/api/v1/blueprints/${secret}/entities`, { identifier: 'hidden' });
    await px.call('POST', '/api/v1/scorecards', {
      identifier: card,
      blueprint: secret,
      levels: ['None', 'Seen'],
      rules: [{ identifier: 'r', level: 'Seen', cypher: 'true' }],
    });
    await px.call('POST', `/api/v1/scorecards/${card}/evaluate`);
    const viewer = await px.call('POST', '/api/v1/tokens', { name: uniqueId('viewer'), role: 'viewer' });
    const seen = await px.call('GET', `/api/v1/scorecards/${card}/results`, undefined, {
      token: viewer.body.token,
    });
    expect(seen.body.results).toEqual([]);
    expect((await levels(card)).hidden).toBe('Seen');
    await px.call('DELETE', `/api/v1/scorecards/${card}`);
  });
});

describe('filter, custom levels and simple rules', () => {
  it('scores only the entities matching the filter', async () => {
    const card = uniqueId('sc');
    await px.call(
      'POST',
      '/api/v1/scorecards',
      scorecard(card, { filter: { rules: [{ property: 'lifecycle', operator: '=', value: 'production' }] } }),
    );
    await px.call('POST', `/api/v1/scorecards/${card}/evaluate`);
    expect(Object.keys(await levels(card)).sort()).toEqual(['bronze', 'gold', 'vuln-deep', 'vuln-far']);
    await px.call('DELETE', `/api/v1/scorecards/${card}`);
  });

  it('uses custom levels in their order', async () => {
    const card = uniqueId('sc');
    const r = await px.call('POST', '/api/v1/scorecards', {
      identifier: card,
      blueprint: svc,
      levels: ['None', 'Owned', 'Documented'],
      rules: [
        { identifier: 'owned', level: 'Owned', relation: 'ownedBy' },
        {
          identifier: 'runbook',
          level: 'Documented',
          property: 'runbookUrl',
          operator: 'beginsWith',
          value: 'https://',
        },
      ],
    });
    expect(r.status).toBe(201);
    await px.call('POST', `/api/v1/scorecards/${card}/evaluate`);
    expect(await levels(card)).toEqual({
      basic: 'None',
      bronze: 'Owned',
      gold: 'Documented',
      'vuln-deep': 'Documented',
      'vuln-far': 'Documented',
    });
    await px.call('DELETE', `/api/v1/scorecards/${card}`);
  });

  it('compiles the simple form through the search rules language, with its checks', async () => {
    const r = await px.call('POST', '/api/v1/scorecards', {
      identifier: uniqueId('sc'),
      blueprint: svc,
      rules: [{ identifier: 'x', level: 'Bronze', property: 'tier', operator: '>', value: 'high' }],
    });
    expect(r.status).toBe(422);
    expect(r.body.error.details).toEqual([
      { path: '/rules/0/value', message: 'value "high" is not a valid integer' },
    ]);
  });
});

describe('management', () => {
  it('lists and reads scorecards', async () => {
    const all = await px.call('GET', '/api/v1/scorecards');
    expect(all.body.scorecards.map((s: { identifier: string }) => s.identifier)).toContain(sc);
    const one = await px.call('GET', `/api/v1/scorecards/${sc}`);
    expect(one.body).toMatchObject({
      identifier: sc,
      blueprint: svc,
      levels: ['Basic', 'Bronze', 'Silver', 'Gold'],
    });
  });

  it('refuses to create a scorecard that exists', async () => {
    expect((await px.call('POST', '/api/v1/scorecards', scorecard(sc))).status).toBe(409);
  });

  it('replaces a scorecard with PUT and re-scores with the new levels and rules', async () => {
    const card = uniqueId('sc');
    await px.call('POST', '/api/v1/scorecards', scorecard(card));
    const put = await px.call('PUT', `/api/v1/scorecards/${card}`, {
      ...scorecard(card),
      levels: ['Other', 'Critical'],
      rules: [{ identifier: 'tier-one', level: 'Critical', property: 'tier', operator: '=', value: 1 }],
    });
    expect(put.status).toBe(200);
    await px.call('POST', `/api/v1/scorecards/${card}/evaluate`);
    expect(await levels(card)).toEqual({
      basic: 'Other',
      bronze: 'Other',
      gold: 'Critical',
      'vuln-deep': 'Critical',
      'vuln-far': 'Critical',
    });
    await px.call('DELETE', `/api/v1/scorecards/${card}`);
  });

  it('deletes a scorecard with its results', async () => {
    const card = uniqueId('sc');
    await px.call('POST', '/api/v1/scorecards', scorecard(card));
    await px.call('POST', `/api/v1/scorecards/${card}/evaluate`);
    expect((await px.call('DELETE', `/api/v1/scorecards/${card}`)).status).toBe(204);
    expect((await px.call('GET', `/api/v1/scorecards/${card}`)).status).toBe(404);
    expect((await px.call('GET', `/api/v1/scorecards/${card}/results`)).status).toBe(404);
  });

  it('lets only admins change scorecards', async () => {
    const member = await px.call('POST', '/api/v1/tokens', { name: uniqueId('member'), role: 'member' });
    const token = member.body.token;
    expect((await px.call('POST', '/api/v1/scorecards', scorecard(uniqueId('sc')), { token })).status).toBe(
      403,
    );
    expect((await px.call('PUT', `/api/v1/scorecards/${sc}`, scorecard(sc), { token })).status).toBe(403);
    expect((await px.call('DELETE', `/api/v1/scorecards/${sc}`, undefined, { token })).status).toBe(403);
    expect((await px.call('GET', `/api/v1/scorecards/${sc}`, undefined, { token })).status).toBe(200);
  });

  it('lists the rule library', async () => {
    const r = await px.call('GET', '/api/v1/scorecard-rules');
    expect(r.body.rules.map((x: { identifier: string }) => x.identifier)).toContain(
      'no-critical-vulnerabilities',
    );
  });
});

describe('GraphQL', () => {
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await px.call('POST', '/graphql', { query, variables });
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  };

  it('adds the scorecards of an entity to its type', async () => {
    const data = await gql(
      `{ ${pluralFieldOf(svc)}(where: { identifier: { in: ["bronze", "gold"] } }, sort: [{ identifier: ASC }]) { identifier scorecards { identifier level rules { identifier passed } } } }`,
    );
    const rows = data[pluralFieldOf(svc)].map(
      (s: { identifier: string; scorecards: { identifier: string; level: string }[] }) => [
        s.identifier,
        s.scorecards.find((c) => c.identifier === sc)?.level,
      ],
    );
    expect(rows).toEqual([
      ['bronze', 'Bronze'],
      ['gold', 'Gold'],
    ]);
  });

  it('filters results below a level', async () => {
    const data = await gql(
      'query ($sc: String!) { scorecardResults(scorecard: $sc, below: "Silver") { results { entity level rules { identifier passed } } next } }',
      { sc },
    );
    expect(data.scorecardResults.results.map((r: { entity: string }) => r.entity)).toEqual([
      'basic',
      'bronze',
      'vuln-deep',
    ]);
  });
});
