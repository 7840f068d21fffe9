/**
 * The scorecard service: a composition of the parts, one job each, read in this order:
 * - scorecard-store.ts: definitions (list, get, save, delete), audited
 * - evaluate.ts: compile against the model, one query per scorecard, outcomes
 * - save-results.ts and status-counts.ts: results written back, the status counted
 * - run-evaluation.ts: one run, from scoring to events
 * - evaluation-queue.ts: runs one after another per scorecard, work merged while one runs
 * - reevaluate-on-change.ts and scheduled-runs.ts: what queues runs besides the API
 * - scorecard-reads.ts: results, history, trend, an entity's scores
 */
import type { WriteContext } from '@plexus/contract';
import type { EventBus } from '../catalog/events.ts';
import type { Db } from '../db/driver.ts';
import type { JobScheduler } from '../db/lease.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createScorecardCompiler } from './evaluate.ts';
import { createEvaluationQueue } from './evaluation-queue.ts';
import { affectedTargets, reevaluateOnChange } from './reevaluate-on-change.ts';
import { type LibraryRule, readRuleLibrary } from './rule-library.ts';
import { createEvaluationRunner } from './run-evaluation.ts';
import { scheduleFullRuns } from './scheduled-runs.ts';
import { createScorecardReads, type ScorecardReads } from './scorecard-reads.ts';
import { createScorecardStore } from './scorecard-store.ts';
import type { EvaluationRun, EvaluationSummary, Scorecard } from '@plexus/contract';

export { entityScoreKey } from './scorecard-reads.ts';
export { auditedDefinition } from './scorecard-store.ts';
export type { EntityScorecard, EvaluationRun } from '@plexus/contract';

/** Scorecards: definitions, evaluation (on demand, on change, on a schedule), results and history. */
export interface ScorecardService extends ScorecardReads {
  list(): Promise<Scorecard[]>;
  get(identifier: string): Promise<Scorecard>;
  /**
   * Checks (read-only rules, see validate-scorecard.ts), stores, then evaluates in the background.
   * The definition and its audit record (`ctx`, default: `actor` through the API) commit together.
   */
  save(
    input: unknown,
    options: { actor: string; mode: 'create' | 'replace'; identifier?: string; dryRun?: boolean; applySet?: string; ctx?: WriteContext },
  ): Promise<Scorecard>;
  /** Deletes the scorecard with its results and history; the definition's deletion is audited with it. */
  delete(identifier: string, ctx?: WriteContext): Promise<void>;
  /** A full run over every target entity, after any run already queued for the scorecard. */
  evaluate(identifier: string): Promise<EvaluationSummary>;
  /** The starter rules of cypher/rules. */
  library(): LibraryRule[];
  /** Called after every evaluation run; returns the unsubscribe function. */
  onEvaluated(listener: (run: EvaluationRun) => void): () => void;
  /** Resolves when no change is being handled and no run is queued (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops the schedule and the change listener; queued runs are dropped. */
  stop(): void;
}

/** Options of {@link createScorecardService}. */
export interface ScorecardOptions {
  /** Transaction timeout of an evaluation query, in ms. */
  timeoutMs?: number;
  /**
   * Every this many ms, scorecards without a full run in the last half of it are evaluated in
   * full (so replicas do not repeat each other's runs); 0 turns the schedule off.
   */
  scheduleMs?: number;
  /** Hops re-evaluated around a change when a rule's reach has no upper bound. */
  defaultHops?: number;
  /** Rows per UNWIND write transaction. */
  batchSize?: number;
  /** Re-evaluate on entity change events (off for a second instance in tests and benchmarks). */
  live?: boolean;
  /** A partial run larger than this becomes a full run (one scan beats a long IN list). */
  maxPartial?: number;
  /** Timer functions, passed in so tests can drive the schedule. */
  timers?: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
  /** Runs the schedule on one replica at a time (db/lease.ts) instead of on `timers`. */
  scheduler?: JobScheduler;
}

/**
 * Creates the scorecard service. Evaluation is one read query per scorecard over all its target
 * entities (compile-scorecard.ts), in a READ transaction with a timeout; levels are computed
 * from its rows (evaluate.ts); results are written back in UNWIND batches as `(:_ScoreResult)-[:_SCORES]->(entity)`,
 * level changes as `(:_LevelChange)` (and `scorecard.levelChanged` events), and the day's level
 * distribution as `(:_ScoreDaily)`. Change events re-evaluate the entities a change can reach
 * (reevaluate-on-change.ts says how far that is); the schedule catches up the rest.
 */
export function createScorecardService(deps: {
  db: Db;
  models: BlueprintStore;
  events: EventBus;
  logger: Logger;
  options?: ScorecardOptions;
}): ScorecardService {
  const { db, models, events, logger } = deps;
  const o = deps.options ?? {};
  const timeoutMs = o.timeoutMs ?? 60_000;
  const defaultHops = o.defaultHops ?? 3;
  const batchSize = o.batchSize ?? 5000;
  const maxPartial = o.maxPartial ?? 10_000;
  const timers = o.timers ?? { setInterval, clearInterval };
  const scheduleMs = o.scheduleMs ?? 3_600_000;
  let library: LibraryRule[] | null = null;

  const store = createScorecardStore({ db, models, defaultHops, batchSize });
  const compiler = createScorecardCompiler({ models, defaultHops });
  const runner = createEvaluationRunner({ db, events, logger, store, compiler, timeoutMs, batchSize });
  const queue = createEvaluationQueue({
    logger,
    store,
    runner,
    affected: (sc, seeds) => affectedTargets({ db, models, compiler }, sc, seeds),
    maxPartial,
  });
  const unsubscribe =
    o.live === false ? () => {} : reevaluateOnChange({ events, logger, models, store, compiler, queue });
  const stopSchedule = scheduleFullRuns({ logger, store, queue, scheduleMs, timers, scheduler: o.scheduler });

  return {
    list: store.list,
    get: store.get,
    ...createScorecardReads({ db, store }),
    async save(input, options) {
      const saved = await store.save(input, options);
      if (!options.dryRun) queue.enqueue(saved.identifier, { full: true });
      return saved;
    },
    async delete(identifier, ctx = { actor: 'plexus', source: 'api' }) {
      const before = await store.get(identifier);
      // Queued runs find the scorecard gone and do nothing.
      await queue.settled(identifier);
      await store.delete(identifier, before, ctx);
      compiler.forget(identifier);
      queue.forget(identifier);
    },
    async evaluate(identifier) {
      await store.get(identifier);
      const result = await queue.runNow(identifier);
      if (!result) throw new NotFoundError(`scorecard "${identifier}" does not exist`);
      const { entities: _entities, ...summary } = result;
      return summary;
    },
    library() {
      library ??= readRuleLibrary();
      return library;
    },
    onEvaluated: runner.onEvaluated,
    idle: queue.idle,
    stop() {
      queue.stop();
      unsubscribe();
      stopSchedule();
    },
  };
}
