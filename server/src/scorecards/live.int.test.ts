import { type ChangeEvent, labelOf, type ScorecardLevelChangedEvent } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeRows } from '../db/driver.ts';
import { silentLogger } from '../log.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { createScorecardService, type EvaluationRun } from './scorecard-service.ts';

let px: TestPlexus;
let team: string;
let lib: string;
let svc: string;
let vuln: string;
let sc: string;
const runs: EvaluationRun[] = [];
const events: ChangeEvent[] = [];

// Services and the libraries they depend on: s1 -> l1, s2 -> l2 -> l3, s5 -> l3, s3 alone.
beforeAll(async () => {
  px = await startTestPlexus();
  [team, lib, svc, vuln, sc] = ['team', 'lib', 'svc', 'vuln', 'sc'].map((p) => uniqueId(p));
  await px.call('POST', '/api/v1/blueprints', {
    identifier: team,
    title: 'Team',
    schema: { properties: {} },
  });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: lib,
    title: 'Library',
    schema: { properties: {} },
    relations: { dependsOn: { target: lib, many: true } },
  });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: svc,
    title: 'Service',
    schema: { properties: { tier: { type: 'integer' } } },
    relations: { ownedBy: { target: team, many: false }, dependsOn: { target: lib, many: true } },
  });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: vuln,
    title: 'Vulnerability',
    schema: { properties: { severity: { type: 'string' } } },
    relations: { affects: { target: lib, many: true } },
  });
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: team, identifier: 'owners' },
      { blueprint: lib, identifier: 'l1' },
      { blueprint: lib, identifier: 'l3' },
      { blueprint: lib, identifier: 'l2', relations: { dependsOn: ['l3'] } },
      { blueprint: svc, identifier: 's1', properties: { tier: 1 }, relations: { dependsOn: ['l1'] } },
      { blueprint: svc, identifier: 's2', properties: { tier: 1 }, relations: { dependsOn: ['l2'] } },
      { blueprint: svc, identifier: 's3', properties: { tier: 1 } },
      { blueprint: svc, identifier: 's5', properties: { tier: 1 }, relations: { dependsOn: ['l3'] } },
    ],
  });
  await px.call('POST', '/api/v1/scorecards', {
    identifier: sc,
    blueprint: svc,
    levels: ['Basic', 'Bronze', 'Silver'],
    rules: [
      { identifier: 'tier-one', level: 'Bronze', property: 'tier', operator: '=', value: 1 },
      {
        identifier: 'no-critical-vulns',
        level: 'Silver',
        cypher: `NOT EXISTS { (e)-[:DEPENDS_ON*1..2]->()<-[:AFFECTS]-(:${labelOf(vuln)} {severity: 'critical'}) }`,
      },
    ],
  });
  await px.services.scorecards.idle();
  px.services.scorecards.onEvaluated((run) => {
    if (run.scorecard === sc) runs.push(run);
  });
  px.services.events.on((evts) => {
    events.push(...evts);
  });
});

afterAll(async () => {
  await px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px?.close();
});

async function result(entity: string) {
  const r = await px.call('GET', `/api/v1/scorecards/${sc}/results?entity=${entity}`);
  return r.body.results[0];
}

/**
 * Waits until `check` passes, or fails after `ms`. A write's change events reach the scorecards
 * a moment after the write returns; `idle()` then waits for the runs they queue.
 */
/** Waits for background evaluation, then checks; again until it holds (vitest's `vi.waitFor`). */
function eventually<T>(check: () => Promise<T>): Promise<T> {
  return vi.waitFor(
    async () => {
      await px.services.scorecards.idle();
      return check();
    },
    { timeout: 60_000, interval: 20 },
  );
}

describe('re-evaluation on change', () => {
  it('re-scores a service when a vulnerability appears in its dependency, without a full run', async () => {
    expect((await result('s1')).level).toBe('Silver');
    runs.length = 0;
    await px.call('POST', `/api/v1/blueprints/${vuln}/entities`, {
      identifier: 'cve-1',
      properties: { severity: 'critical' },
      relations: { affects: ['l1'] },
    });
    await eventually(async () => expect((await result('s1')).level).toBe('Bronze'));
    expect(runs.map((r) => [r.mode, r.entities])).toEqual([['partial', ['s1']]]);
  });

  it("walks only towards the services that can see the change, not along a library's own dependencies", async () => {
    runs.length = 0;
    await px.call('POST', `/api/v1/blueprints/${vuln}/entities`, {
      identifier: 'cve-2',
      properties: { severity: 'critical' },
      relations: { affects: ['l2'] },
    });
    await eventually(async () => expect((await result('s2')).level).toBe('Bronze'));
    // s5 depends on l3, which l2 depends on: a vulnerability in l2 is not in s5's dependencies.
    expect(runs.map((r) => [r.mode, r.entities])).toEqual([['partial', ['s2']]]);
  });

  it('reaches services whose rules look two dependencies deep', async () => {
    runs.length = 0;
    await px.call('POST', `/api/v1/blueprints/${vuln}/entities`, {
      identifier: 'cve-3',
      properties: { severity: 'critical' },
      relations: { affects: ['l3'] },
    });
    await eventually(async () => expect((await result('s5')).level).toBe('Bronze'));
    expect(runs.map((r) => [r.mode, [...r.entities].sort()])).toEqual([['partial', ['s2', 's5']]]);
  });

  it('re-scores a service whose own property changed', async () => {
    runs.length = 0;
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, {
      identifier: 's3',
      properties: { tier: 2 },
    });
    await eventually(async () => expect((await result('s3')).level).toBe('Basic'));
    expect(runs.map((r) => r.entities)).toEqual([['s3']]);
  });

  it('records each level change in the history, newest first', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/history?entity=s1`);
    expect(r.body.changes.map((c: { from: string | null; to: string }) => [c.from, c.to])).toEqual([
      ['Silver', 'Bronze'],
      [null, 'Silver'],
    ]);
  });

  it('emits scorecard.levelChanged events', async () => {
    const mine = events.filter(
      (e): e is ScorecardLevelChangedEvent => e.type === 'scorecard.levelChanged' && e.scorecard === sc,
    );
    expect(mine.map((e) => [e.entity, e.from, e.to])).toEqual(
      expect.arrayContaining([
        ['s1', 'Silver', 'Bronze'],
        ['s2', 'Silver', 'Bronze'],
      ]),
    );
  });

  it("keeps today's level distribution", async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}/trend?days=7`);
    const today = new Date().toISOString().slice(0, 10);
    expect(r.body.days.at(-1)).toEqual({ day: today, counts: { Basic: 1, Bronze: 3, Silver: 0 }, total: 4 });
  });

  it('drops the result of a deleted entity', async () => {
    await px.call('POST', `/api/v1/blueprints/${svc}/entities`, {
      identifier: 's4',
      properties: { tier: 1 },
    });
    await eventually(async () => expect(await result('s4')).toBeDefined());
    await px.call('DELETE', `/api/v1/blueprints/${svc}/entities/s4`);
    await eventually(async () => expect(await result('s4')).toBeUndefined());
  });
});

describe('schedule', () => {
  it('re-evaluates in full a scorecard without a recent full run, on each tick', async () => {
    let tick: (() => void) | null = null;
    let cleared = false;
    const timers = {
      setInterval: ((fn: () => void) => {
        tick = fn;
        return { unref() {} };
      }) as unknown as typeof setInterval,
      clearInterval: (() => {
        cleared = true;
      }) as typeof clearInterval,
    };
    const service = createScorecardService({
      db: px.services.db,
      models: px.services.models,
      events: px.services.events,
      logger: silentLogger,
      options: { live: false, scheduleMs: 3_600_000, timers },
    });
    const seen: EvaluationRun[] = [];
    service.onEvaluated((run) => seen.push(run));
    // Make this scorecard's latest full run two hours old; other scorecards in the database stay recent or fail fast.
    const old = new Date(Date.now() - 7_200_000).toISOString();
    await writeRows(px.services.db, 'MATCH (s:_Scorecard {identifier: $sc}) SET s.status = $status', {
      sc,
      status: JSON.stringify({ ...(await service.get(sc)).status, fullEvaluatedAt: old }),
    });
    expect(tick).not.toBeNull();
    tick!();
    await service.idle();
    expect(seen.filter((r) => r.scorecard === sc).map((r) => r.mode)).toEqual(['full']);
    service.stop();
    expect(cleared).toBe(true);
  });
});
