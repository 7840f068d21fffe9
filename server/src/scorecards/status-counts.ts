/**
 * The counts of a scorecard's status (entities, entities per level, passes per rule): computed
 * from a run's outcomes, moved by what a partial run changed, or, when the stored counts do not
 * fit the definition any more, read back from the stored results by aggregate queries.
 */
import { type Db, readRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import type { Outcome } from './evaluate.ts';
import type { Scorecard, ScorecardStatus } from '@plexus/contract';

/** The counted part of a status. */
export type Counts = Pick<ScorecardStatus, 'entities' | 'levels' | 'rules'>;

/** `base` counts minus the `removed` outcomes plus the `added` ones. */
export function recount(
  sc: Scorecard,
  base: Counts,
  removed: Iterable<Outcome>,
  added: Iterable<Outcome>,
): Counts {
  const levels = new Map(base.levels.map((l) => [l.level, l.count]));
  const passes = new Map(base.rules.map((r) => [r.identifier, r.passed]));
  let entities = base.entities;
  const apply = (o: Outcome, d: number) => {
    entities += d;
    levels.set(o.level, (levels.get(o.level) ?? 0) + d);
    for (const p of o.passed) passes.set(p, (passes.get(p) ?? 0) + d);
  };
  for (const o of removed) apply(o, -1);
  for (const o of added) apply(o, 1);
  return {
    entities,
    levels: sc.levels.map((level) => ({ level, count: levels.get(level) ?? 0 })),
    rules: sc.rules.map((r) => ({
      identifier: r.identifier,
      passed: passes.get(r.identifier) ?? 0,
      failed: entities - (passes.get(r.identifier) ?? 0),
    })),
  };
}

/** Whether the stored status counts the scorecard as it is defined now (levels and rules). */
export function countsMatch(sc: Scorecard): boolean {
  const st = sc.status;
  return (
    !!st?.fullEvaluatedAt &&
    st.levels.map((l) => l.level).join('\u0000') === sc.levels.join('\u0000') &&
    st.rules.map((r) => r.identifier).join('\u0000') === sc.rules.map((r) => r.identifier).join('\u0000')
  );
}

/** The counts of the stored results, by two aggregate queries. */
export async function summarise(deps: { db: Db }, sc: Scorecard): Promise<Counts> {
  const dist = await readRows<{ level: string; count: number }>(
    deps.db,
    loadQuery('scorecards/read-distribution'),
    { scorecard: sc.identifier },
  );
  const passes = await readRows<{ rule: string; passed: number }>(
    deps.db,
    loadQuery('scorecards/read-rule-counts'),
    { scorecard: sc.identifier },
  );
  const byLevel = new Map(dist.map((d) => [d.level, d.count]));
  const entities = dist.reduce((s, d) => s + d.count, 0);
  const byRule = new Map(passes.map((p) => [p.rule, p.passed]));
  return {
    entities,
    levels: sc.levels.map((level) => ({ level, count: byLevel.get(level) ?? 0 })),
    rules: sc.rules.map((r) => ({
      identifier: r.identifier,
      passed: byRule.get(r.identifier) ?? 0,
      failed: entities - (byRule.get(r.identifier) ?? 0),
    })),
  };
}
