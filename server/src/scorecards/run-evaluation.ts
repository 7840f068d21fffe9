/**
 * One evaluation run of one scorecard, full (every target) or partial (some entities): score
 * (evaluate.ts), save the new and changed results (save-results.ts), count (status-counts.ts),
 * store the status and the day's distribution, emit `scorecard.levelChanged` events and tell
 * the run's listeners.
 */
import type { EventBus } from '../catalog/events.ts';
import type { Db } from '../db/driver.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Outcome, outcomeOf, type Scored, score, type ScorecardCompiler } from './evaluate.ts';
import {
  createResultSaver,
  deleteResultsOf,
  levelChangeEvents,
  type ResultSaver,
  readStored,
  saveStatus,
  signature,
  writeResults,
} from './save-results.ts';
import type { ScorecardStore } from './scorecard-store.ts';
import { type Counts, countsMatch, recount, summarise } from './status-counts.ts';
import type { EvaluationError, EvaluationRun, LevelChange, Scorecard, ScorecardStatus } from '@plexus/contract';

/** Runs evaluations and tells listeners about each. */
export interface EvaluationRunner {
  /** One run: all targets (`ids` null) or those entities; null when the scorecard is gone. */
  run(identifier: string, ids: string[] | null): Promise<EvaluationRun | null>;
  /** Called after every evaluation run; returns the unsubscribe function. */
  onEvaluated(listener: (run: EvaluationRun) => void): () => void;
}

/** Creates the runner; `timeoutMs` bounds each evaluation query, `batchSize` each write. */
export function createEvaluationRunner(deps: {
  db: Db;
  events: EventBus;
  logger: Logger;
  store: ScorecardStore;
  compiler: ScorecardCompiler;
  timeoutMs: number;
  batchSize: number;
}): EvaluationRunner {
  const { events, logger, store, compiler } = deps;
  const listeners = new Set<(run: EvaluationRun) => void>();

  /** One run: score, store, record history and status, emit level changes. */
  async function run(identifier: string, ids: string[] | null): Promise<EvaluationRun | null> {
    const started = performance.now();
    const now = new Date().toISOString();
    let sc: Scorecard;
    try {
      sc = await store.get(identifier);
    } catch (err) {
      if (err instanceof NotFoundError) return null; // deleted meanwhile
      throw err;
    }
    const mode = ids === null ? 'full' : 'partial';
    const { compiled, details } = compiler.compiledOf(sc);
    let errors: EvaluationError[];
    let rows: Scored[] | null = null;
    let saver: ResultSaver | null = null;
    const streamedOutcomes = new Map<string, Outcome>();
    let streamed = false;
    if (!compiled)
      errors = [
        {
          message: `the scorecard no longer compiles against the model: ${details.map((d) => `${d.path ?? ''} ${d.message}`.trim()).join('; ')}`,
          at: now,
        },
      ];
    else {
      // A full run saves its results while the rows arrive; a partial run reads its few stored
      // results after the query.
      const fullRun = ids === null ? createResultSaver(deps, sc, now) : null;
      saver = fullRun;
      const onRow = fullRun
        ? (r: Scored) => {
            const o = outcomeOf(sc, r);
            streamedOutcomes.set(r.entity, o);
            fullRun.add(o);
          }
        : undefined;
      ({ rows, errors, streamed } = await score(deps, compiled, ids, onRow));
    }
    let changes: LevelChange[] = [];
    let written = 0;
    let summary: Counts;
    if (rows) {
      const scored = new Set(rows.map((r) => r.entity));
      const outcomes = rows.map((r) => (streamed && streamedOutcomes.get(r.entity)) || outcomeOf(sc, r));
      // Only new and changed results are written (a steady catalog re-scores with few writes).
      let stored: Map<string, Outcome> | null = null;
      let storedEntities: string[];
      if (saver) {
        // Rows of the rule-by-rule fallback did not stream through the saver.
        if (!streamed) for (const o of outcomes) saver.add(o);
        ({ written, changes, storedEntities } = await saver.finish());
      } else {
        const before = await readStored(deps, sc, ids!);
        const changed = outcomes.filter((o) => {
          const b = before.get(o.entity);
          return !b || signature(b) !== signature(o);
        });
        stored = before;
        storedEntities = ids!;
        written = changed.length;
        changes = await writeResults(deps, sc, changed, now);
      }
      // Results of entities no longer scored: deleted, or outside the filter now.
      await deleteResultsOf(deps, sc, storedEntities.filter((id) => !scored.has(id)));
      // Counts follow from the outcomes: all of them after a full run, the stored counts moved
      // by what changed after a partial one (the aggregate queries only when those do not fit).
      if (mode === 'full') summary = recount(sc, { entities: 0, levels: [], rules: [] }, [], outcomes);
      else if (countsMatch(sc)) summary = recount(sc, sc.status!, stored!.values(), outcomes);
      else summary = await summarise(deps, sc);
    } else {
      // Results the query streamed before it failed are kept (they are what it computed).
      await saver?.finish().catch(() => {});
      summary = await summarise(deps, sc);
    }
    // A partial run only sees some entities: it adds its errors to the last full run's.
    const previous =
      mode === 'partial'
        ? (sc.status?.errors ?? []).filter((e) => !errors.some((n) => n.rule === e.rule))
        : [];
    const status: ScorecardStatus = {
      evaluatedAt: now,
      fullEvaluatedAt: mode === 'full' ? now : (sc.status?.fullEvaluatedAt ?? null),
      durationMs: Math.round(performance.now() - started),
      ...summary,
      errors: [...previous, ...errors].slice(-20),
    };
    await saveStatus(deps, sc, status, now);
    const moved = levelChangeEvents(sc, changes.map((c) => ({ entity: c.entity, from: c.from, to: c.to })), now);
    if (moved.length > 0) events.emit(moved);
    const failedBy = new Map(errors.filter((e) => e.rule).map((e) => [e.rule!, e.message]));
    const result: EvaluationRun = {
      scorecard: sc.identifier,
      mode,
      evaluatedAt: now,
      durationMs: status.durationMs!,
      evaluated: rows?.length ?? 0,
      changed: changes.length,
      written,
      levels: summary.levels,
      rules: summary.rules.map((r) =>
        failedBy.has(r.identifier) ? { ...r, error: failedBy.get(r.identifier) } : r,
      ),
      errors,
      entities: rows?.map((r) => r.entity) ?? [],
    };
    logger.info('scorecard evaluated', {
      scorecard: sc.identifier,
      mode,
      entities: result.evaluated,
      changed: result.changed,
      ms: result.durationMs,
      errors: errors.length,
    });
    for (const l of listeners) {
      try {
        l(result);
      } catch (err) {
        logger.warn('scorecard listener failed', { err });
      }
    }
    return result;
  }

  return {
    run,
    onEvaluated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
