/**
 * Saving results: outcomes are written back in UNWIND batches as
 * `(:_ScoreResult)-[:_SCORES]->(entity)`, only when new or changed (each result keeps a hash of
 * its outcome), with level changes as `(:_LevelChange)` audited in the same transaction; results
 * of entities no longer scored are removed; a run's status and the day's level distribution
 * (`:_ScoreDaily`) are stored last.
 */
import { createHash } from 'node:crypto';
import neo4j from 'neo4j-driver';
import { auditRows, recordEventsQuery } from '../audit/audit.ts';
import type { ScorecardLevelChangedEvent } from '@plexus/contract';
import { type Db, openSession, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import type { Outcome } from './evaluate.ts';
import type { LevelChange, Scorecard, ScorecardStatus } from '@plexus/contract';

/** What the writers need: the database and the rows per UNWIND write transaction. */
export interface SaveDeps {
  db: Db;
  batchSize: number;
}

/** An outcome as one comparable string (level, score, rules passed and failed). */
export const signature = (o: Omit<Outcome, 'entity'>) =>
  `${o.level}|${o.score}|${o.passed.join(',')}|${o.failed.join(',')}`;

/** Hash of a result's outcome, stored with it: equal hashes, nothing to write. */
const outcomeHash = (o: Omit<Outcome, 'entity'>) =>
  createHash('sha1').update(signature(o)).digest('base64url');

/** The `scorecard.levelChanged` events of stored results (a first result is not a change). */
export function levelChangeEvents(sc: Scorecard, rows: { entity: string; from: string | null; to: string }[], at: string): ScorecardLevelChangedEvent[] {
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

/** The stored results of `entities` (a partial run): to skip writing what did not change, and to recount. */
export async function readStored(deps: SaveDeps, sc: Scorecard, entities: string[]): Promise<Map<string, Outcome>> {
  const rows = await readRows<Outcome>(deps.db, loadQuery('scorecards/read-stored-results-of'), {
    scorecard: sc.identifier,
    entities,
  });
  return new Map(rows.map((r) => [r.entity, r]));
}

/** Every stored result of the scorecard as entity → outcome hash (a full run compares only these). */
async function readStoredHashes(deps: SaveDeps, sc: Scorecard): Promise<Map<string, string>> {
  const rows = await readRows<{
    entity: string;
    hash: string | null;
    legacy: Omit<Outcome, 'entity'> | null;
  }>(deps.db, loadQuery('scorecards/read-stored-results'), { scorecard: sc.identifier });
  return new Map(rows.map((r) => [r.entity, r.hash ?? outcomeHash(r.legacy!)]));
}

/** Writes new and changed results in UNWIND batches; returns the level changes recorded. */
export async function writeResults(deps: SaveDeps, sc: Scorecard, outcomes: Outcome[], now: string): Promise<LevelChange[]> {
  const { db, batchSize } = deps;
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
        const res = await tx.run(loadQuery('scorecards/save-results'), {
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

/** Saves a full run's results as they stream in; see {@link createResultSaver}. */
export interface ResultSaver {
  add(o: Outcome): void;
  /** Writes what is left; the results written, their level changes and the entities stored before. */
  finish(): Promise<{ written: number; changes: LevelChange[]; storedEntities: string[] }>;
}

/**
 * Saves a full run's results while its rows still arrive: each outcome is compared with the
 * stored hash (read at the same time as the query starts) and changed results are written in
 * UNWIND batches, one after the other, while the query streams (the read and the writes run on
 * two of Neo4j's threads). An entity seen again (a retried read, the rule-by-rule fallback) is
 * compared with what this run wrote last.
 */
export function createResultSaver(deps: SaveDeps, sc: Scorecard, now: string): ResultSaver {
  const { batchSize } = deps;
  const stored = readStoredHashes(deps, sc);
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
      changes.push(...(await writeResults(deps, sc, rows, now)));
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
    async finish() {
      await stored;
      flush();
      await writing;
      return { written: written.size, changes, storedEntities };
    },
  };
}

/** Removes the results of `entities` (deleted, or outside the filter now), in batches. */
export async function deleteResultsOf(deps: SaveDeps, sc: Scorecard, entities: string[]): Promise<void> {
  for (let i = 0; i < entities.length; i += deps.batchSize) {
    await writeRows(deps.db, loadQuery('scorecards/delete-results-of'), {
      scorecard: sc.identifier,
      entities: entities.slice(i, i + deps.batchSize),
    });
  }
}

/** Stores a run's status on the scorecard and the day's level distribution. */
export async function saveStatus(deps: SaveDeps, sc: Scorecard, status: ScorecardStatus, now: string): Promise<void> {
  await writeRows(deps.db, loadQuery('scorecards/save-status'), {
    identifier: sc.identifier,
    status: JSON.stringify(status),
  });
  await writeRows(deps.db, loadQuery('scorecards/save-daily'), {
    scorecard: sc.identifier,
    day: now.slice(0, 10),
    levels: sc.levels,
    counts: status.levels.map((l) => neo4j.int(l.count)),
    total: neo4j.int(status.entities),
    now,
  });
}
