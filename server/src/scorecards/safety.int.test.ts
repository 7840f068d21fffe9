import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createScorecardService, type ScorecardService } from './scorecard-service.ts';

let px: TestPlexus;
let svc: string;

beforeAll(async () => {
  px = await startTestPlexus();
  svc = uniqueId('svc');
  await px.call('POST', '/api/v1/blueprints', {
    identifier: svc,
    title: 'Service',
    schema: { properties: { tier: { type: 'integer' } } },
  });
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: svc, identifier: 'a', properties: { tier: 1 } },
      { blueprint: svc, identifier: 'b', properties: { tier: 2 } },
    ],
  });
  await px.services.scorecards.idle();
});

afterAll(async () => {
  await px?.close();
});

/** Posts a scorecard with one Cypher rule and returns the response. */
function postRule(cypher: string) {
  return px.call('POST', '/api/v1/scorecards', {
    identifier: uniqueId('sc'),
    blueprint: svc,
    rules: [{ identifier: 'r', level: 'Bronze', cypher }],
  });
}

describe('rules are checked before they are saved', () => {
  it('rejects a rule that writes', async () => {
    const r = await postRule('EXISTS { MATCH (e) SET e.hacked = true }');
    expect(r.status).toBe(422);
    expect(r.body.error.details).toEqual([
      {
        path: '/rules/0/cypher',
        identifier: 'r',
        message: 'rule "r" is not read-only: SET writes to the graph; a rule may only read the graph',
      },
    ]);
  });

  it('rejects a rule that tries to close the expression and write after it', async () => {
    const r = await postRule('true) AS passed MATCH (x) DETACH DELETE x RETURN (true');
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].message).toBe(
      'unbalanced ")" at position 5: a rule must be a single expression',
    );
    const [{ n }] = await readRows<{ n: number }>(
      px.services.db,
      'MATCH (n:Entity) WHERE n._blueprint = $bp RETURN count(n) AS n',
      { bp: svc },
    );
    expect(n).toBe(2);
  });

  it('rejects LOAD CSV', async () => {
    const r = await postRule("COUNT { LOAD CSV FROM 'https://example.com/x.csv' AS row RETURN row } > 0");
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].message).toBe(
      'rule "r" is not read-only: LOAD CSV reads files or URLs; a rule may only read the graph',
    );
  });

  it('rejects a syntax error, saying where it is in the rule', async () => {
    const r = await postRule('e.tier = ');
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].message).toMatch(
      /^rule "r": Cypher does not parse: .*\(at character 10 of the rule\)$/,
    );
  });

  it('rejects procedure calls', async () => {
    const r = await postRule('EXISTS { CALL db.labels() YIELD label RETURN label }');
    expect(r.status).toBe(422);
    expect(r.body.error.details[0].message).toMatch(/procedure/);
  });

  it('rejects parameters, which could read values the rule was not given', async () => {
    const r = await postRule('e.tier = $tier');
    expect(r.body.error.details[0].message).toBe(
      'a rule cannot use $parameters; write the values in the expression',
    );
  });

  it('saves nothing when a rule is rejected', async () => {
    const id = uniqueId('sc');
    await px.call('POST', '/api/v1/scorecards', {
      identifier: id,
      blueprint: svc,
      rules: [
        { identifier: 'ok', level: 'Bronze', cypher: 'true' },
        { identifier: 'bad', level: 'Gold', cypher: 'e.tier = ' },
      ],
    });
    expect((await px.call('GET', `/api/v1/scorecards/${id}`)).status).toBe(404);
  });
});

describe('failing and slow rules at evaluation', () => {
  let service: ScorecardService;
  const ids: string[] = [];

  beforeAll(() => {
    // A second service with a short timeout, not listening to changes, so only this test runs it.
    service = createScorecardService({
      db: px.services.db,
      models: px.services.models,
      events: px.services.events,
      logger: silentLogger,
      options: { timeoutMs: 1000, scheduleMs: 0, live: false },
    });
  });

  afterAll(async () => {
    await service.idle();
    for (const id of ids) await service.delete(id).catch(() => {});
    service.stop();
  });

  async function create(rules: Record<string, unknown>[]): Promise<string> {
    const id = uniqueId('sc');
    ids.push(id);
    await service.save({ identifier: id, blueprint: svc, rules }, { actor: 'test', mode: 'create' });
    await service.idle();
    return id;
  }

  it('reports a rule that times out on the scorecard and still scores the other rules', async () => {
    // Counts through 200 million rows per entity: far longer than the 1 s timeout.
    const slow = 'COUNT { UNWIND range(1, 200000000) AS x WITH x WHERE x < 0 RETURN x } = 0';
    const id = await create([
      { identifier: 'tier-one', level: 'Bronze', cypher: 'e.tier = 1' },
      { identifier: 'slow', level: 'Silver', cypher: slow },
    ]);
    const summary = await service.evaluate(id);
    expect(summary.errors).toEqual([
      { rule: 'slow', message: 'rule "slow" failed: timed out after 1000 ms', at: expect.any(String) },
    ]);
    expect(summary.rules).toContainEqual({
      identifier: 'slow',
      passed: 0,
      failed: 2,
      error: 'rule "slow" failed: timed out after 1000 ms',
    });
    expect((await service.get(id)).status?.errors.map((e) => e.rule)).toEqual(['slow']);
    const everything = { unrestricted: true, all: [svc], owned: {}, teams: [] };
    const levels = Object.fromEntries(
      (await service.results(id, { scope: everything })).results.map((r) => [r.entity, r.level]),
    );
    expect(levels).toEqual({ a: 'Bronze', b: 'Basic' });
  });

  it('reports a rule that fails at run time and counts it as failed', async () => {
    const id = await create([
      { identifier: 'tier-one', level: 'Bronze', cypher: 'e.tier = 1' },
      { identifier: 'broken', level: 'Silver', cypher: 'e.tier / 0 = 1' },
    ]);
    const summary = await service.evaluate(id);
    expect(summary.errors.map((e) => e.rule)).toEqual(['broken']);
    expect(summary.errors[0].message).toMatch(/^rule "broken" failed: .*by zero/i);
    expect(summary.levels).toEqual([
      { level: 'Basic', count: 1 },
      { level: 'Bronze', count: 1 },
      { level: 'Silver', count: 0 },
      { level: 'Gold', count: 0 },
    ]);
  });

  it('clears the errors once the rule is fixed', async () => {
    const id = await create([{ identifier: 'broken', level: 'Bronze', cypher: 'e.tier / 0 = 1' }]);
    expect((await service.get(id)).status?.errors.map((e) => e.rule)).toEqual(['broken']);
    await service.save(
      {
        identifier: id,
        blueprint: svc,
        rules: [{ identifier: 'broken', level: 'Bronze', cypher: 'e.tier / 1 = 1' }],
      },
      { actor: 'test', mode: 'replace', identifier: id },
    );
    expect((await service.evaluate(id)).errors).toEqual([]);
    expect((await service.get(id)).status?.errors).toEqual([]);
  });
});
