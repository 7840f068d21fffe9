/**
 * Evaluation: a scorecard compiled against the current model (compile-scorecard.ts, cached until
 * the scorecard or the model changes), run as one read query over all its target entities (or
 * the few of a partial run) in a READ transaction with a timeout, and each entity's row turned
 * into its outcome (level, score, rules passed and failed). When the query fails, one query per
 * rule finds out which rule it was; never one query per entity.
 */
import { openSession, type Db } from '../db/driver.ts';
import type { ErrorDetail } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { type CompiledScorecard, compileScorecard } from './compile-scorecard.ts';
import { levelOf, scoreOf } from './levels.ts';
import type { EvaluationError, Scorecard } from '@plexus/contract';

/** Rows of an evaluation query. */
export interface Scored {
  entity: string;
  passed: boolean[];
}

/** A result as stored: what evaluation computes for one entity. */
export interface Outcome {
  entity: string;
  level: string;
  score: number;
  passed: string[];
  failed: string[];
}

/** A scorecard's compiled form, or why it does not compile against the model any more. */
export interface Compilation {
  compiled: CompiledScorecard | null;
  details: ErrorDetail[];
}

/** Compiled scorecards, kept per scorecard until its definition or the model changes. */
export interface ScorecardCompiler {
  /** Compiled form, recompiled when the scorecard or the model changed. */
  compiledOf(sc: Scorecard): Compilation;
  /** Drops a deleted scorecard's entry. */
  forget(identifier: string): void;
}

/** Creates the compile cache over the blueprint store. */
export function createScorecardCompiler(deps: { models: BlueprintStore; defaultHops: number }): ScorecardCompiler {
  const { models, defaultHops } = deps;
  const compiledCache = new Map<string, Compilation & { key: string }>();
  return {
    compiledOf(sc) {
      const key = `${sc.updatedAt}|${models.version()}`;
      const hit = compiledCache.get(sc.identifier);
      if (hit && hit.key === key) return hit;
      const details: ErrorDetail[] = [];
      let compiled: CompiledScorecard | null = null;
      try {
        compiled = compileScorecard(models.current(), sc, details, { defaultHops });
      } catch (err) {
        details.push({ message: (err as Error).message });
      }
      const entry = { key, compiled: details.length === 0 ? compiled : null, details };
      compiledCache.set(sc.identifier, entry);
      return entry;
    },
    forget(identifier) {
      compiledCache.delete(identifier);
    },
  };
}

/** A failed evaluation query in words: timeouts say so, other errors keep Neo4j's first line. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; message?: string };
  if (e.code?.includes('TransactionTimedOut') || /terminated|timed? ?out/i.test(e.message ?? ''))
    return `timed out after ${timeoutMs} ms`;
  return (e.message ?? String(err)).split('\n')[0];
}

/** Runs an evaluation query; `onRow` sees each row as it arrives (a retried read may repeat rows). */
async function readScored(
  deps: { db: Db; timeoutMs: number },
  query: string,
  params: Record<string, unknown>,
  onRow?: (row: Scored) => void,
): Promise<Scored[]> {
  const session = openSession(deps.db, 'READ');
  try {
    return await session.executeRead(
      async (tx) => {
        const rows: Scored[] = [];
        for await (const record of tx.run(query, params)) {
          const row = {
            entity: record.get('entity') as string,
            passed: (record.get('passed') as boolean[]).map((p) => p === true),
          };
          rows.push(row);
          onRow?.(row);
        }
        return rows;
      },
      { timeout: deps.timeoutMs },
    );
  } finally {
    await session.close();
  }
}

/**
 * Scores the targets (all, or `ids`) in one query. When it fails, finds out why with one
 * query per rule (still never one per entity): rules that fail or time out alone are reported
 * and count as failed for every entity; the others keep their outcomes.
 */
export async function score(
  deps: { db: Db; logger: Logger; timeoutMs: number },
  compiled: CompiledScorecard,
  ids: string[] | null,
  onRow?: (row: Scored) => void,
): Promise<{ rows: Scored[] | null; errors: EvaluationError[]; streamed: boolean }> {
  const { logger, timeoutMs } = deps;
  const at = new Date().toISOString();
  const partial = ids !== null;
  // The query with its parameters, for all rules or a few; `ids` when only some targets are scored.
  const built = (rules?: number[]) => {
    const { query, params } = compiled.query({ partial, rules });
    return [query, { ...params, ...(partial ? { ids } : {}) }] as const;
  };
  try {
    return {
      rows: await readScored(deps, ...built(), onRow),
      errors: [],
      streamed: true,
    };
  } catch (err) {
    logger.warn('scorecard query failed; checking its rules one by one', {
      scorecard: compiled.scorecard.identifier,
      err: describeFailure(err, timeoutMs),
    });
  }
  let targets: string[];
  try {
    targets = (await readScored(deps, ...built([]))).map((r) => r.entity);
  } catch (err) {
    return {
      rows: null,
      errors: [
        { message: `the scorecard's targets could not be read: ${describeFailure(err, timeoutMs)}`, at },
      ],
      streamed: false,
    };
  }
  const errors: EvaluationError[] = [];
  const outcomes: (Map<string, boolean> | null)[] = [];
  for (let i = 0; i < compiled.scorecard.rules.length; i++) {
    try {
      const rows = await readScored(deps, ...built([i]));
      outcomes.push(new Map(rows.map((r) => [r.entity, r.passed[0]])));
    } catch (err) {
      errors.push({
        rule: compiled.scorecard.rules[i].identifier,
        message: `rule "${compiled.scorecard.rules[i].identifier}" failed: ${describeFailure(err, timeoutMs)}`,
        at,
      });
      outcomes.push(null);
    }
  }
  return {
    rows: targets.map((entity) => ({ entity, passed: outcomes.map((m) => m?.get(entity) === true) })),
    errors,
    streamed: false,
  };
}

/** One entity's outcome from its row: the level its passed rules reach, and its weighted score. */
export function outcomeOf(sc: Scorecard, r: Scored): Outcome {
  const levelIndex = levelOf(
    sc.levels,
    sc.rules.map((rule) => rule.level),
    r.passed,
  );
  return {
    entity: r.entity,
    level: sc.levels[levelIndex],
    score: scoreOf(
      sc.rules.map((rule) => rule.weight ?? 1),
      r.passed,
    ),
    passed: sc.rules.filter((_, k) => r.passed[k]).map((rule) => rule.identifier),
    failed: sc.rules.filter((_, k) => !r.passed[k]).map((rule) => rule.identifier),
  };
}
