import { createHash } from 'node:crypto';
import {
  type ChangeEvent,
  type EntityChangeEvent,
  type EntityScorecard,
  type EvaluationError,
  type EvaluationSummary,
  type LevelChange,
  labelOf,
  type Model,
  relTypeOf,
  type Scorecard,
  type ScorecardLevelChangedEvent,
  type ScorecardStatus,
  type ScorecardTrend,
  type ScoreResult,
  targetsOf,
  type WriteContext,
} from '@plexus/contract';
import neo4j from 'neo4j-driver';
import { adminChange, auditRows, recordEventsQuery, writeAudited } from '../audit/audit.ts';
import type { ReadScope } from '../auth/authorize.ts';
import { loadScopedQuery, scopeParams } from '../auth/read-scope-cypher.ts';
import type { EventBus } from '../catalog/events.ts';
import { type Db, openSession, readRows, txRows, writeRows } from '../db/driver.ts';
import type { JobScheduler } from '../db/lease.ts';
import { checkLimit, cursorOf, latestTimestamp, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError, ConflictError, type ErrorDetail, NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { type CompiledScorecard, compileScorecard } from './compile-scorecard.ts';
import { levelIndexOf, levelOf, scoreOf } from './levels.ts';
import { type LibraryRule, readRuleLibrary } from './rule-library.ts';
import { checkScorecard } from './validate-scorecard.ts';

/** What an evaluation run did, for listeners (tests, metrics): the summary and who was scored. */
export interface EvaluationRun extends EvaluationSummary {
  /** Identifiers of the entities this run evaluated. */
  entities: string[];
}

/** Scorecards: definitions, evaluation (on demand, on change, on a schedule), results and history. */
export interface ScorecardService {
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
  /** A page of results among entities `scope` may read; `below` and `level` are level names. */
  results(
    identifier: string,
    options: {
      scope: ReadScope;
      level?: string;
      below?: string;
      entity?: string;
      limit?: number;
      cursor?: string | null;
    },
  ): Promise<{ results: (ScoreResult & { title: string | null })[]; next: string | null }>;
  /** Level changes, newest first, of entities `scope` may read. */
  history(
    identifier: string,
    options: { scope: ReadScope; entity?: string; since?: string; limit?: number; cursor?: string | null },
  ): Promise<{ changes: LevelChange[]; next: string | null }>;
  /** Level distribution per day (the latest evaluation of each day), oldest first. */
  trend(
    identifier: string,
    options?: { days?: number },
  ): Promise<ScorecardTrend>;
  /** Every scorecard result of the given entities (the caller checked they may read them). */
  entityScores(refs: { blueprint: string; identifier: string }[]): Promise<Map<string, EntityScorecard[]>>;
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

type StoredScorecard = Omit<Scorecard, 'rules' | 'filter' | 'status'> & {
  rules: string;
  filter: string | null;
  status?: string | null;
};

const refKey = (blueprint: string, identifier: string) => `${blueprint}\u0000${identifier}`;

/**
 * Blueprints within `hops` relations of `start` in the model, either direction: relationships
 * exist only where the model has relations, so a change elsewhere cannot reach a rule's entity.
 */
function blueprintsInReach(model: Model, start: string, hops: number, types: string[] | null): Set<string> {
  const seen = new Set([start]);
  let frontier = [start];
  for (let i = 0; i < hops && frontier.length > 0; i++) {
    const next: string[] = [];
    for (const bp of model.values()) {
      for (const [name, def] of Object.entries(bp.relations ?? {})) {
        if (types && !types.includes(relTypeOf(name))) continue;
        const targets = targetsOf(def);
        const linked = frontier.includes(bp.identifier)
          ? targets
          : targets.some((t) => frontier.includes(t))
            ? [bp.identifier]
            : [];
        for (const t of linked) {
          if (!seen.has(t)) {
            seen.add(t);
            next.push(t);
          }
        }
      }
    }
    frontier = next;
  }
  return seen;
}

function decode(row: StoredScorecard): Scorecard {
  const { rules, filter, status, ...rest } = row;
  const out: Scorecard = { ...rest, filter: filter ? JSON.parse(filter) : null, rules: JSON.parse(rules) };
  out.status = status
    ? (JSON.parse(status) as ScorecardStatus)
    : {
        evaluatedAt: null,
        fullEvaluatedAt: null,
        durationMs: null,
        entities: 0,
        levels: out.levels.map((level) => ({ level, count: 0 })),
        rules: [],
        errors: [],
      };
  return out;
}

/**
 * When a result was last confirmed. Unchanged results are not rewritten, so a result's own
 * timestamp is when it last changed; every full run confirms all of them.
 */
function confirmedAt(changedAt: string, sc: Scorecard): string {
  const full = sc.status?.fullEvaluatedAt;
  return full && full > changedAt ? full : changedAt;
}

/** A failed evaluation query in words: timeouts say so, other errors keep Neo4j's first line. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { code?: string; message?: string };
  if (e.code?.includes('TransactionTimedOut') || /terminated|timed? ?out/i.test(e.message ?? ''))
    return `timed out after ${timeoutMs} ms`;
  return (e.message ?? String(err)).split('\n')[0];
}

/** Rows of an evaluation query. */
interface Scored {
  entity: string;
  passed: boolean[];
}

/** The `scorecard.levelChanged` events of stored results (a first result is not a change). */
function levelChangeEvents(sc: Scorecard, rows: { entity: string; from: string | null; to: string }[], at: string): ScorecardLevelChangedEvent[] {
  const index = (level: string) => (sc.levels.includes(level) ? sc.levels.indexOf(level) : null);
  return rows
    .filter((r) => r.from !== null)
    .map((r) => ({
      type: 'scorecard.levelChanged',
      scorecard: sc.identifier,
      blueprint: sc.blueprint,
      entity: r.entity,
      from: r.from!,
      to: r.to,
      fromIndex: index(r.from!),
      toIndex: index(r.to),
      actor: `scorecard:${sc.identifier}`,
      at,
    }));
}

/** Per-scorecard queue: runs one after another, and changes coalesce while one runs. */
interface Lane {
  tail: Promise<unknown>;
  scheduled: boolean;
  full: boolean;
  ids: Set<string>;
  seeds: Map<string, { blueprint: string | null; identifier: string }>;
}

/**
 * Creates the scorecard service. Evaluation is one read query per scorecard over all its target
 * entities (compile-scorecard.ts), in a READ transaction with a timeout; levels are computed
 * here; results are written back in UNWIND batches as `(:_ScoreResult)-[:_SCORES]->(entity)`,
 * level changes as `(:_LevelChange)` (and `scorecard.levelChanged` events), and the day's level
 * distribution as `(:_ScoreDaily)`.
 *
 * Re-evaluation on change: from each changed entity (and the entities its relations pointed to
 * before and after the change), the walk goes back up to `hops` relationships towards the
 * entities whose rules can see it, and re-scores the targets it meets. `hops` is the longest
 * reach of the scorecard's rules and filter as read from their patterns (rule-text.ts `reachOf`;
 * `defaultHops` when a pattern has no upper bound); only the relationship types they name are
 * walked, in the direction that leads back to `e` (`stepsOf`; both ways when that cannot be
 * read, and any type when a pattern names none). This over-approximates: it may re-score a few
 * entities whose outcome cannot have changed, never miss one the patterns can reach. A deleted
 * entity takes its incoming relationships with it, so nothing is left to walk from: a deletion
 * near a scorecard whose rules look across relations re-runs it in full. A rule that reads
 * entities not connected to `e` (e.g. "a team named x exists") is only caught up by the schedule.
 */
/** The definition as audited (and diffed by dry runs): without the evaluation status, which is not a change. */
export function auditedDefinition(sc: Scorecard | null): Omit<Scorecard, 'status'> | null {
  if (!sc) return null;
  const { status: _status, ...rest } = sc;
  return rest;
}

/** The audit event of a change to a scorecard's definition (none when only timestamps moved). */
function auditChange(ctx: WriteContext, identifier: string, before: Scorecard | null, after: Scorecard | null) {
  return adminChange('scorecard', identifier, ctx, auditedDefinition(before), auditedDefinition(after), {
    blueprint: (after ?? before)?.blueprint,
  });
}

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
  const lanes = new Map<string, Lane>();
  const listeners = new Set<(run: EvaluationRun) => void>();
  const handling = new Set<Promise<void>>();
  const compiledCache = new Map<
    string,
    { key: string; compiled: CompiledScorecard | null; details: ErrorDetail[] }
  >();
  let library: LibraryRule[] | null = null;
  let stopped = false;

  async function list(): Promise<Scorecard[]> {
    return (await readRows<{ scorecard: StoredScorecard }>(db, loadQuery('scorecards/list-scorecards'))).map(
      (r) => decode(r.scorecard),
    );
  }

  async function get(identifier: string): Promise<Scorecard> {
    const [row] = await readRows<{ scorecard: StoredScorecard }>(db, loadQuery('scorecards/get-scorecard'), {
      identifier,
    });
    if (!row) throw new NotFoundError(`scorecard "${identifier}" does not exist`);
    return decode(row.scorecard);
  }

  /** Compiled form, recompiled when the scorecard or the model changed. */
  function compiledOf(sc: Scorecard): { compiled: CompiledScorecard | null; details: ErrorDetail[] } {
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
  }

  /** Runs an evaluation query; `onRow` sees each row as it arrives (a retried read may repeat rows). */
  async function readScored(
    query: string,
    params: Record<string, unknown>,
    onRow?: (row: Scored) => void,
  ): Promise<Scored[]> {
    const session = openSession(db, 'READ');
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
        { timeout: timeoutMs },
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
  async function score(
    compiled: CompiledScorecard,
    ids: string[] | null,
    onRow?: (row: Scored) => void,
  ): Promise<{ rows: Scored[] | null; errors: EvaluationError[]; streamed: boolean }> {
    const at = new Date().toISOString();
    const partial = ids !== null;
    const params = { ...compiled.params, ...(partial ? { ids } : {}) };
    try {
      return {
        rows: await readScored(compiled.query({ partial }), params, onRow),
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
      targets = (await readScored(compiled.query({ partial, rules: [] }), params)).map((r) => r.entity);
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
        const rows = await readScored(compiled.query({ partial, rules: [i] }), params);
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

  /** A result as stored: what evaluation computes for one entity. */
  interface Outcome {
    entity: string;
    level: string;
    score: number;
    passed: string[];
    failed: string[];
  }

  const signature = (o: Omit<Outcome, 'entity'>) =>
    `${o.level}|${o.score}|${o.passed.join(',')}|${o.failed.join(',')}`;

  /** Hash of a result's outcome, stored with it: equal hashes, nothing to write. */
  const outcomeHash = (o: Omit<Outcome, 'entity'>) =>
    createHash('sha1').update(signature(o)).digest('base64url');

  /** The stored results of `entities` (a partial run): to skip writing what did not change, and to recount. */
  async function readStored(sc: Scorecard, entities: string[]): Promise<Map<string, Outcome>> {
    const rows = await readRows<Outcome>(db, loadQuery('scorecards/read-stored-results-of'), {
      scorecard: sc.identifier,
      entities,
    });
    return new Map(rows.map((r) => [r.entity, r]));
  }

  /** Every stored result of the scorecard as entity → outcome hash (a full run compares only these). */
  async function readStoredHashes(sc: Scorecard): Promise<Map<string, string>> {
    const rows = await readRows<{
      entity: string;
      hash: string | null;
      legacy: Omit<Outcome, 'entity'> | null;
    }>(db, loadQuery('scorecards/read-stored-results'), { scorecard: sc.identifier });
    return new Map(rows.map((r) => [r.entity, r.hash ?? outcomeHash(r.legacy!)]));
  }

  type Counts = Pick<ScorecardStatus, 'entities' | 'levels' | 'rules'>;

  /** `base` counts minus the `removed` outcomes plus the `added` ones. */
  function recount(
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
  function countsMatch(sc: Scorecard): boolean {
    const st = sc.status;
    return (
      !!st?.fullEvaluatedAt &&
      st.levels.map((l) => l.level).join('\u0000') === sc.levels.join('\u0000') &&
      st.rules.map((r) => r.identifier).join('\u0000') === sc.rules.map((r) => r.identifier).join('\u0000')
    );
  }

  function outcomeOf(sc: Scorecard, r: Scored): Outcome {
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

  /** Writes new and changed results in UNWIND batches; returns the level changes recorded. */
  async function writeResults(sc: Scorecard, outcomes: Outcome[], now: string): Promise<LevelChange[]> {
    const changes: LevelChange[] = [];
    for (let i = 0; i < outcomes.length; i += batchSize) {
      const batch = outcomes
        .slice(i, i + batchSize)
        .map((o) => ({ ...o, levelIndex: neo4j.int(sc.levels.indexOf(o.level)), hash: outcomeHash(o) }));
      // The level changes are audited in the same transaction (automations read them from the
      // audit trail, so a change that committed is never missed).
      const session = openSession(db, 'WRITE');
      let written: { entity: string; from: string | null; to: string }[];
      try {
        written = await session.executeWrite(async (tx) => {
          const res = await tx.run(loadQuery('scorecards/save-results', { Label: labelOf(sc.blueprint) }), {
            rows: batch,
            scorecard: sc.identifier,
            blueprint: sc.blueprint,
            now,
          });
          const rows = res.records.map((r) => r.toObject() as { entity: string; from: string | null; to: string });
          const moved = levelChangeEvents(sc, rows, now);
          if (moved.length > 0) await tx.run(recordEventsQuery(), { events: auditRows(moved) });
          return rows;
        });
      } finally {
        await session.close();
      }
      for (const w of written) {
        changes.push({
          scorecard: sc.identifier,
          blueprint: sc.blueprint,
          entity: w.entity,
          from: w.from,
          to: w.to,
          at: now,
        });
      }
    }
    return changes;
  }

  /**
   * Saves a full run's results while its rows still arrive: each outcome is compared with the
   * stored hash (read at the same time as the query starts) and changed results are written in
   * UNWIND batches, one after the other, while the query streams (the read and the writes run on
   * two of Neo4j's threads). An entity seen again (a retried read, the rule-by-rule fallback) is
   * compared with what this run wrote last.
   */
  function createResultSaver(sc: Scorecard, now: string) {
    const stored = readStoredHashes(sc);
    stored.catch(() => {});
    let hashes: Map<string, string> | null = null;
    let storedEntities: string[] = [];
    const waiting: Outcome[] = [];
    let batch: Outcome[] = [];
    let writing: Promise<void> = Promise.resolve();
    const changes: LevelChange[] = [];
    const written = new Set<string>();
    const flush = () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      for (const o of rows) written.add(o.entity);
      writing = writing.then(async () => {
        changes.push(...(await writeResults(sc, rows, now)));
      });
      // Handled here, thrown by finish().
      writing.catch(() => {});
    };
    const consider = (o: Outcome) => {
      const hash = outcomeHash(o);
      if (hashes!.get(o.entity) === hash) return;
      hashes!.set(o.entity, hash);
      batch.push(o);
      if (batch.length >= batchSize) flush();
    };
    stored.then(
      (h) => {
        storedEntities = [...h.keys()];
        hashes = h;
        for (const o of waiting.splice(0)) consider(o);
      },
      () => {},
    );
    return {
      add(o: Outcome) {
        if (hashes) consider(o);
        else waiting.push(o);
      },
      /** Writes what is left; the results written, their level changes and the entities stored before. */
      async finish(): Promise<{ written: number; changes: LevelChange[]; storedEntities: string[] }> {
        await stored;
        flush();
        await writing;
        return { written: written.size, changes, storedEntities };
      },
    };
  }

  async function deleteInBatches(query: string, params: Record<string, unknown>): Promise<void> {
    for (;;) {
      const [row] = await writeRows<{ deleted: number }>(db, query, {
        ...params,
        batch: neo4j.int(batchSize),
      });
      if (!row || row.deleted < batchSize) return;
    }
  }

  async function summarise(sc: Scorecard): Promise<Pick<ScorecardStatus, 'entities' | 'levels' | 'rules'>> {
    const dist = await readRows<{ level: string; count: number }>(
      db,
      loadQuery('scorecards/read-distribution'),
      { scorecard: sc.identifier },
    );
    const passes = await readRows<{ rule: string; passed: number }>(
      db,
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

  /** One run: score, store, record history and status, emit level changes. */
  async function run(identifier: string, ids: string[] | null): Promise<EvaluationRun | null> {
    const started = performance.now();
    const now = new Date().toISOString();
    let sc: Scorecard;
    try {
      sc = await get(identifier);
    } catch (err) {
      if (err instanceof NotFoundError) return null; // deleted meanwhile
      throw err;
    }
    const mode = ids === null ? 'full' : 'partial';
    const { compiled, details } = compiledOf(sc);
    let errors: EvaluationError[];
    let rows: Scored[] | null = null;
    let saver: ReturnType<typeof createResultSaver> | null = null;
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
      const fullRun = ids === null ? createResultSaver(sc, now) : null;
      saver = fullRun;
      const onRow = fullRun
        ? (r: Scored) => {
            const o = outcomeOf(sc, r);
            streamedOutcomes.set(r.entity, o);
            fullRun.add(o);
          }
        : undefined;
      ({ rows, errors, streamed } = await score(compiled, ids, onRow));
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
        const before = await readStored(sc, ids!);
        const changed = outcomes.filter((o) => {
          const b = before.get(o.entity);
          return !b || signature(b) !== signature(o);
        });
        stored = before;
        storedEntities = ids!;
        written = changed.length;
        changes = await writeResults(sc, changed, now);
      }
      // Results of entities no longer scored: deleted, or outside the filter now.
      const gone = storedEntities.filter((id) => !scored.has(id));
      for (let i = 0; i < gone.length; i += batchSize) {
        await writeRows(db, loadQuery('scorecards/delete-results-of'), {
          scorecard: sc.identifier,
          entities: gone.slice(i, i + batchSize),
        });
      }
      // Counts follow from the outcomes: all of them after a full run, the stored counts moved
      // by what changed after a partial one (the aggregate queries only when those do not fit).
      if (mode === 'full') summary = recount(sc, { entities: 0, levels: [], rules: [] }, [], outcomes);
      else if (countsMatch(sc)) summary = recount(sc, sc.status!, stored!.values(), outcomes);
      else summary = await summarise(sc);
    } else {
      // Results the query streamed before it failed are kept (they are what it computed).
      await saver?.finish().catch(() => {});
      summary = await summarise(sc);
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
    await writeRows(db, loadQuery('scorecards/save-status'), {
      identifier: sc.identifier,
      status: JSON.stringify(status),
    });
    await writeRows(db, loadQuery('scorecards/save-daily'), {
      scorecard: sc.identifier,
      day: now.slice(0, 10),
      levels: sc.levels,
      counts: summary.levels.map((l) => neo4j.int(l.count)),
      total: neo4j.int(summary.entities),
      now,
    });
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

  function laneOf(identifier: string): Lane {
    let lane = lanes.get(identifier);
    if (!lane) {
      lane = { tail: Promise.resolve(), scheduled: false, full: false, ids: new Set(), seeds: new Map() };
      lanes.set(identifier, lane);
    }
    return lane;
  }

  /** Targets within reach of the seeds (affected-entities.cypher). */
  async function affected(
    sc: Scorecard,
    seeds: { blueprint: string | null; identifier: string }[],
  ): Promise<string[]> {
    const compiled = compiledOf(sc).compiled;
    if (!compiled || seeds.length === 0) return [];
    // Relationships exist only where the model has relations: "any" is every relation's type, both ways.
    const model = models.current();
    const all = [
      ...new Set([...model.values()].flatMap((bp) => Object.keys(bp.relations ?? {}).map(relTypeOf))),
    ];
    const steps = compiled.steps ?? { out: all, in: all };
    type Reached = { id: string; identifier: string; target: boolean };
    const names = { Label: compiled.label };
    let frontier = await readRows<Reached>(db, loadQuery('scorecards/seed-nodes', names), { seeds });
    const seen = new Set(frontier.map((r) => r.id));
    const targets = new Set(frontier.filter((r) => r.target).map((r) => r.identifier));
    // One query per hop, breadth first, each node once: the walk never enumerates paths.
    for (let hop = 0; hop < compiled.hops && frontier.length > 0; hop++) {
      const next = await readRows<Reached>(db, loadQuery('scorecards/expand-frontier', names), {
        frontier: frontier.map((r) => r.id),
        out: steps.out,
        in: steps.in,
      });
      frontier = next.filter((r) => !seen.has(r.id));
      for (const r of frontier) {
        seen.add(r.id);
        if (r.target) targets.add(r.identifier);
      }
    }
    return [...targets];
  }

  /** Queues work for a scorecard; while a run is going, further work merges into one next run. */
  function enqueue(
    identifier: string,
    work: {
      full?: boolean;
      ids?: Iterable<string>;
      seeds?: Iterable<{ blueprint: string | null; identifier: string }>;
    },
  ): void {
    if (stopped) return;
    const lane = laneOf(identifier);
    if (work.full) lane.full = true;
    for (const id of work.ids ?? []) lane.ids.add(id);
    for (const s of work.seeds ?? []) lane.seeds.set(`${s.blueprint}\u0000${s.identifier}`, s);
    if (lane.scheduled) return;
    lane.scheduled = true;
    lane.tail = lane.tail
      .then(async () => {
        lane.scheduled = false;
        const full = lane.full;
        const ids = new Set(lane.ids);
        const seeds = [...lane.seeds.values()];
        lane.full = false;
        lane.ids.clear();
        lane.seeds.clear();
        if (stopped) return;
        if (full) {
          await run(identifier, null);
          return;
        }
        if (seeds.length > 0) {
          const sc = await get(identifier).catch(() => null);
          if (!sc) return;
          for (const id of await affected(sc, seeds)) ids.add(id);
        }
        if (ids.size === 0) return;
        await run(identifier, ids.size > maxPartial ? null : [...ids]);
      })
      .catch((err) => logger.error('scorecard evaluation failed', { scorecard: identifier, err }));
  }

  /** Entities an entity pointed at, before and after a change (relation values → refs). */
  function neighbours(e: EntityChangeEvent): { blueprint: string | null; identifier: string }[] {
    const bp = models.current().get(e.blueprint);
    const out: { blueprint: string | null; identifier: string }[] = [];
    for (const side of [e.before, e.after]) {
      if (!side) continue;
      for (const [name, value] of Object.entries(side.relations ?? {})) {
        const def = bp?.relations?.[name];
        const targets = def ? targetsOf(def) : [];
        for (const v of Array.isArray(value) ? value : value ? [value] : []) {
          const i = v.indexOf(':');
          if (targets.length > 1 && i > 0) out.push({ blueprint: v.slice(0, i), identifier: v.slice(i + 1) });
          else out.push({ blueprint: targets[0] ?? null, identifier: v });
        }
      }
    }
    return out;
  }

  async function onChanges(evts: readonly ChangeEvent[]): Promise<void> {
    const changed = evts.filter((e): e is EntityChangeEvent => e.type.startsWith('entity.'));
    if (changed.length === 0 || stopped) return;
    const model = models.current();
    for (const sc of await list()) {
      const compiled = compiledOf(sc).compiled;
      if (!compiled) continue;
      const own = changed.filter((e) => e.blueprint === sc.blueprint).map((e) => e.identifier);
      if (compiled.hops === 0) {
        if (own.length > 0) enqueue(sc.identifier, { ids: own });
        continue;
      }
      const reach = blueprintsInReach(model, sc.blueprint, compiled.hops, compiled.relationshipTypes);
      const near = changed.filter((e) => reach.has(e.blueprint));
      if (near.length === 0) continue;
      if (near.some((e) => e.type === 'entity.deleted')) {
        enqueue(sc.identifier, { full: true });
        continue;
      }
      const seeds = near.flatMap((e) => [
        { blueprint: e.blueprint, identifier: e.identifier },
        ...neighbours(e),
      ]);
      enqueue(sc.identifier, { ids: own, seeds });
    }
  }

  const unsubscribe =
    o.live === false
      ? () => {}
      : events.on((evts) => {
          const p = onChanges(evts).catch((err) => logger.error('scorecard change handling failed', { err }));
          handling.add(p);
          void p.finally(() => handling.delete(p));
          return p;
        });

  const scheduleMs = o.scheduleMs ?? 3_600_000;
  const runSchedule = (): Promise<void> => {
    const p = list()
      .then((all) => {
        const due = Date.now() - scheduleMs / 2;
        for (const sc of all) {
          const last = sc.status?.fullEvaluatedAt;
          if (!last || Date.parse(last) < due) enqueue(sc.identifier, { full: true });
        }
      })
      .catch((err) => logger.warn('scheduled scorecard evaluation failed', { err }));
    handling.add(p);
    void p.finally(() => handling.delete(p));
    return p;
  };
  const job =
    scheduleMs > 0 && o.scheduler ? o.scheduler.every('scorecards-full-runs', scheduleMs, runSchedule) : null;
  const timer = scheduleMs > 0 && !job ? timers.setInterval(() => void runSchedule(), scheduleMs) : null;
  (timer as { unref?: () => void } | null)?.unref?.();

  return {
    list,
    get,
    async save(input, { actor, mode, identifier, dryRun = false, applySet, ctx }) {
      const { scorecard } = await checkScorecard(db, models.current(), input, { identifier, defaultHops });
      const before = await get(scorecard.identifier).catch(() => null);
      const exists = before !== null;
      if (mode === 'create' && exists)
        throw new ConflictError(`scorecard "${scorecard.identifier}" exists; PUT it to change it`);
      if (mode === 'replace' && !exists)
        throw new NotFoundError(`scorecard "${scorecard.identifier}" does not exist`);
      // A dry run: every check above ran; the scorecard as it would be stored, nothing written.
      if (dryRun) {
        const { status: _status, applySet: _old, ...stored } = exists ? await get(scorecard.identifier) : ({} as Partial<Scorecard>);
        const { applySet: _set, ...definition } = scorecard as Scorecard;
        return { ...stored, ...definition, description: scorecard.description ?? null, filter: scorecard.filter ?? null, ...(applySet ? { applySet } : {}) } as Scorecard;
      }
      const saved = await writeAudited(db, async (tx) => {
        const [row] = await txRows<{ scorecard: StoredScorecard }>(tx, loadQuery('scorecards/save-scorecard'), {
          identifier: scorecard.identifier,
          title: scorecard.title,
          description: scorecard.description ?? null,
          blueprint: scorecard.blueprint,
          filter: scorecard.filter ? JSON.stringify(scorecard.filter) : null,
          levels: scorecard.levels,
          rules: JSON.stringify(scorecard.rules),
          now: new Date().toISOString(),
          actor,
          applySet: applySet ?? null,
        });
        const after = decode(row.scorecard);
        return { result: after, events: auditChange(ctx ?? { actor, source: 'api' }, after.identifier, before, after) };
      });
      enqueue(scorecard.identifier, { full: true });
      return saved;
    },
    async delete(identifier, ctx = { actor: 'plexus', source: 'api' }) {
      const before = await get(identifier);
      // Queued runs find the scorecard gone and do nothing.
      await laneOf(identifier).tail;
      await writeAudited(db, async (tx) => {
        await tx.run(loadQuery('scorecards/delete-scorecard'), { identifier });
        return { result: null, events: auditChange(ctx, identifier, before, null) };
      });
      await deleteInBatches(loadQuery('scorecards/delete-scorecard-data'), { scorecard: identifier });
      compiledCache.delete(identifier);
      lanes.delete(identifier);
    },
    async evaluate(identifier) {
      await get(identifier);
      const lane = laneOf(identifier);
      const done = lane.tail.then(() => run(identifier, null));
      lane.tail = done.catch(() => {});
      const result = await done;
      if (!result) throw new NotFoundError(`scorecard "${identifier}" does not exist`);
      const { entities: _entities, ...summary } = result;
      return summary;
    },
    async results(identifier, options) {
      const sc = await get(identifier);
      const indexOf = (name: string | undefined, what: string) => {
        if (name === undefined || name === '') return null;
        const i = levelIndexOf(sc.levels, name);
        if (i < 0) throw new BadRequestError(`${what} must be one of ${sc.levels.join(', ')} (any case)`);
        return i;
      };
      const levelIndex = indexOf(options.level, 'level');
      const below = indexOf(options.below, 'below');
      const limit = checkLimit(options.limit, 100);
      const after = options.cursor ? parseCursor(options.cursor) : null;
      const rows = await readRows<{
        result: {
          entity: string;
          blueprint: string;
          level: string;
          score: number;
          passed: string[];
          failed: string[];
          changedAt: string;
          title: string | null;
        };
      }>(db, loadScopedQuery('scorecards/list-results', options.scope), {
        ...scopeParams(options.scope),
        scorecard: identifier,
        level: levelIndex === null ? null : sc.levels[levelIndex],
        below: below === null ? null : neo4j.int(below),
        entity: options.entity ?? null,
        after: after ?? '',
        limit: neo4j.int(limit + 1),
      });
      const page = rows.slice(0, limit).map(({ result: r }) => ({
        entity: r.entity,
        blueprint: r.blueprint,
        title: r.title ?? null,
        level: r.level,
        score: r.score,
        rules: sc.rules
          .filter((rule) => r.passed.includes(rule.identifier) || r.failed.includes(rule.identifier))
          .map((rule) => ({ identifier: rule.identifier, passed: r.passed.includes(rule.identifier) })),
        evaluatedAt: confirmedAt(r.changedAt, sc),
        changedAt: r.changedAt,
      }));
      return { results: page, next: rows.length > limit ? cursorOf(page[page.length - 1].entity) : null };
    },
    async history(identifier, options) {
      await get(identifier);
      const limit = checkLimit(options.limit, 100);
      if (options.since !== undefined && Number.isNaN(Date.parse(options.since)))
        throw new BadRequestError('since must be an ISO date-time');
      const [before, beforeEntity] = options.cursor
        ? parseCursor(options.cursor, 2)
        : [null, null];
      const rows = await readRows<{ change: Omit<LevelChange, 'scorecard'> }>(
        db,
        loadScopedQuery('scorecards/list-level-changes', options.scope),
        {
          ...scopeParams(options.scope),
          scorecard: identifier,
          entity: options.entity ?? null,
          lower: options.since ? new Date(options.since).toISOString() : '',
          upper: before ?? latestTimestamp,
          beforeEntity,
          limit: neo4j.int(limit + 1),
        },
      );
      const changes = rows
        .slice(0, limit)
        .map((r) => ({ scorecard: identifier, ...r.change, from: r.change.from ?? null }));
      const last = changes[changes.length - 1];
      return { changes, next: rows.length > limit && last ? cursorOf([last.at, last.entity]) : null };
    },
    async trend(identifier, options = {}) {
      const sc = await get(identifier);
      const days = options.days ?? 30;
      if (!Number.isInteger(days) || days < 1 || days > 3660)
        throw new BadRequestError('days must be an integer from 1 to 3660');
      const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const rows = await readRows<{
        day: { day: string; levels: string[]; counts: number[]; total: number };
      }>(db, loadQuery('scorecards/list-daily'), { scorecard: identifier, since });
      return {
        levels: sc.levels,
        days: rows.map(({ day: d }) => ({
          day: d.day,
          counts: Object.fromEntries(d.levels.map((l, i) => [l, d.counts[i] ?? 0])),
          total: d.total,
        })),
      };
    },
    async entityScores(refs) {
      const out = new Map<string, EntityScorecard[]>();
      if (refs.length === 0) return out;
      const rows = await readRows<{
        blueprint: string;
        identifier: string;
        results: {
          scorecard: string;
          level: string;
          score: number;
          passed: string[];
          failed: string[];
          changedAt: string;
        }[];
      }>(db, loadQuery('scorecards/entity-results'), {
        refs: refs.map((r) => ({ blueprint: r.blueprint, identifier: r.identifier })),
      });
      const scorecards = rows.some((r) => r.results.length > 0)
        ? new Map((await list()).map((s) => [s.identifier, s]))
        : new Map<string, Scorecard>();
      for (const row of rows) {
        const items: EntityScorecard[] = [];
        for (const r of row.results) {
          const sc = scorecards.get(r.scorecard);
          if (!sc) continue;
          const index = sc.levels.indexOf(r.level);
          items.push({
            identifier: sc.identifier,
            title: sc.title,
            level: r.level,
            nextLevel: index >= 0 && index < sc.levels.length - 1 ? sc.levels[index + 1] : null,
            levels: sc.levels,
            score: r.score,
            evaluatedAt: confirmedAt(r.changedAt, sc),
            rules: sc.rules.map((rule) => ({
              identifier: rule.identifier,
              title: rule.title,
              level: rule.level,
              passed: r.passed.includes(rule.identifier),
            })),
          });
        }
        items.sort((a, b) => a.identifier.localeCompare(b.identifier));
        out.set(refKey(row.blueprint, row.identifier), items);
      }
      return out;
    },
    library() {
      library ??= readRuleLibrary();
      return library;
    },
    onEvaluated(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      // Handling a change queues runs, and a run's events can be handled in turn: wait until nothing moves.
      for (;;) {
        const tails = [...lanes.values()].map((l) => l.tail);
        await Promise.all([...handling, ...tails]);
        const now = [...lanes.values()];
        if (
          handling.size === 0 &&
          now.length === tails.length &&
          now.every((l, i) => l.tail === tails[i] && !l.scheduled)
        )
          return;
      }
    },
    stop() {
      stopped = true;
      unsubscribe();
      if (timer) timers.clearInterval(timer);
      void job?.stop();
    },
  };
}

/** Key of `entityScores` results. */
export function entityScoreKey(blueprint: string, identifier: string): string {
  return refKey(blueprint, identifier);
}
