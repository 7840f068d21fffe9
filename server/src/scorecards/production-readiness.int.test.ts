import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrganisation } from '../demo/generate-organisation.ts';
import { productionReadiness } from '../demo/load-demo.ts';
import type { Entity } from '../demo/types.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// The demo's "production readiness" scorecard (rules from cypher/rules) on a generated sdlc
// organisation, checked against levels computed here in plain TypeScript from the same data.
let px: TestPlexus;
let org: Entity[];
let prefix: string;
let sc: string;

// The demo scorecard's rules, in its order (Bronze, Silver, Gold).
const ruleOrder = [
  'has-owner',
  'has-repository',
  'has-on-call',
  'has-runbook',
  'no-critical-vulnerabilities',
  'has-passing-pipeline',
  'deployed-recently',
  'no-deprecated-dependencies',
  'no-open-major-incidents',
  'has-slo',
];

const values = (e: Entity, relation: string): string[] => {
  const v = e.relations[relation];
  return v == null ? [] : Array.isArray(v) ? v : [v];
};

beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  prefix = `${uniqueId('pr')}-`;
  // "Now" as the reference time, so "deployed in the last 30 days" has both outcomes.
  const raw = generateOrganisation({
    services: 80,
    seed: 5,
    referenceTime: new Date().toISOString(),
  }).entities;
  // Prefix every identifier so this organisation never meets another test's data.
  const p = (v: string) => (/^[a-z][a-zA-Z]*:/.test(v) ? v.replace(':', `:${prefix}`) : `${prefix}${v}`);
  org = raw.map((e) => ({
    ...e,
    identifier: `${prefix}${e.identifier}`,
    relations: Object.fromEntries(
      Object.entries(e.relations).map(([k, v]) => [k, Array.isArray(v) ? v.map(p) : p(v)]),
    ),
  }));
  expect((await px.call('POST', '/api/v1/entities/bulk', { entities: org })).status).toBe(200);
  sc = uniqueId('sc');
  const card = productionReadiness() as { filter: { rules: unknown[] } };
  const created = await px.call('POST', '/api/v1/scorecards', {
    ...card,
    identifier: sc,
    filter: {
      rules: [...card.filter.rules, { property: 'identifier', operator: 'beginsWith', value: prefix }],
    },
  });
  expect(created.status).toBe(201);
  await px.services.scorecards.idle();
});

afterAll(async () => {
  await px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await px?.close();
});

/** Each service's level and rule outcomes, computed from the organisation's data. */
function expectedResults(): Record<string, { level: string; rules: Record<string, boolean> }> {
  const byKey = new Map(org.map((e) => [`${e.blueprint}:${e.identifier}`, e]));
  const ref = (value: string, single: string) =>
    byKey.get(value.includes(':') ? value : `${single}:${value}`);
  const of = (bp: string) => org.filter((e) => e.blueprint === bp);
  const now = Date.now();
  const criticalTargets = new Set(
    of('vulnerability')
      .filter(
        (v) =>
          v.properties.severity === 'critical' && ['open', 'triaged'].includes(v.properties.status as string),
      )
      .flatMap((v) => values(v, 'affects')),
  );
  const reaches = (start: Entity) => {
    let frontier = [start];
    const seen = new Set([`${start.blueprint}:${start.identifier}`]);
    for (let depth = 0; depth < 3; depth++) {
      frontier = frontier
        .flatMap((e) => values(e, 'dependsOn').map((v) => ref(v, 'library')!))
        .filter((e) => e && !seen.has(`${e.blueprint}:${e.identifier}`));
      for (const e of frontier) seen.add(`${e.blueprint}:${e.identifier}`);
    }
    return seen;
  };
  const out: Record<string, { level: string; rules: Record<string, boolean> }> = {};
  for (const s of of('service').filter((x) => x.properties.lifecycle !== 'deprecated')) {
    const team = values(s, 'ownedBy').map((v) => ref(v, 'team'))[0];
    const passes = {
      Bronze: [!!team, !!s.properties.repositoryUrl],
      Silver: [
        !!team?.properties.onCallUrl,
        !!s.properties.runbookUrl,
        ![...reaches(s)].some((k) => criticalTargets.has(k)),
        of('pipeline').some(
          (p) => values(p, 'builds').includes(s.identifier) && p.properties.status === 'passing',
        ),
      ],
      Gold: [
        of('deployment').some(
          (d) =>
            values(d, 'deploys')[0] === s.identifier &&
            d.properties.status === 'succeeded' &&
            Date.parse(d.properties.startedAt as string) >= now - 30 * 86_400_000,
        ),
        !values(s, 'dependsOn').some((v) => ref(v, 'library')?.properties.lifecycle === 'deprecated'),
        !of('incident').some(
          (i) =>
            values(i, 'affects').includes(s.identifier) &&
            ['sev1', 'sev2'].includes(i.properties.severity as string) &&
            i.properties.status !== 'resolved',
        ),
        s.properties.sloTarget !== undefined,
      ],
    };
    let level = 'Basic';
    for (const l of ['Bronze', 'Silver', 'Gold'] as const) {
      if (!passes[l].every(Boolean)) break;
      level = l;
    }
    const outcomes = [...passes.Bronze, ...passes.Silver, ...passes.Gold];
    out[s.identifier] = { level, rules: Object.fromEntries(ruleOrder.map((id, i) => [id, outcomes[i]])) };
  }
  return out;
}

describe('the demo production-readiness scorecard', () => {
  it('gives every service of a generated organisation the rule outcomes and level its data says', async () => {
    const got: Record<string, { level: string; rules: Record<string, boolean> }> = {};
    let cursor: string | null = null;
    do {
      const r = await px.call(
        'GET',
        `/api/v1/scorecards/${sc}/results?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const x of r.body.results)
        got[x.entity] = {
          level: x.level,
          rules: Object.fromEntries(
            x.rules.map((o: { identifier: string; passed: boolean }) => [o.identifier, o.passed]),
          ),
        };
      cursor = r.body.next;
    } while (cursor);
    const expected = expectedResults();
    expect(got).toEqual(expected);
    // The organisation is varied enough for the comparison to mean something.
    const outcomes = (id: string) => new Set(Object.values(expected).map((e) => e.rules[id]));
    expect(ruleOrder.filter((id) => outcomes(id).size === 2).length).toBeGreaterThanOrEqual(6);
    expect(new Set(Object.values(expected).map((e) => e.level)).size).toBeGreaterThanOrEqual(2);
  });

  it('evaluates without rule errors', async () => {
    const r = await px.call('GET', `/api/v1/scorecards/${sc}`);
    expect(r.body.status.errors).toEqual([]);
  });
});
