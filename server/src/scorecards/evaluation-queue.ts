/**
 * The evaluation queue: one lane per scorecard, so its runs go one after another, and work that
 * arrives while a run is going (changed entities, seeds to walk from, a full run) merges into one
 * next run. Also tracks change handling in flight, so `idle()` can wait until nothing moves.
 */
import type { Logger } from '../log.ts';
import type { EvaluationRunner } from './run-evaluation.ts';
import type { ScorecardStore } from './scorecard-store.ts';
import type { EvaluationRun, Scorecard } from '@plexus/contract';

/** An entity a change touched, to walk from (blueprint unknown when a relation could point to several). */
export interface Seed {
  blueprint: string | null;
  identifier: string;
}

/** Work for one scorecard: a full run, these entities, or the targets within reach of these seeds. */
export interface Work {
  full?: boolean;
  ids?: Iterable<string>;
  seeds?: Iterable<Seed>;
}

/** Per-scorecard queue: runs one after another, and changes coalesce while one runs. */
interface Lane {
  tail: Promise<unknown>;
  scheduled: boolean;
  full: boolean;
  ids: Set<string>;
  seeds: Map<string, Seed>;
}

/** Queues and runs evaluations. */
export interface EvaluationQueue {
  /** Queues work for a scorecard; while a run is going, further work merges into one next run. */
  enqueue(identifier: string, work: Work): void;
  /** A full run after any run already queued for the scorecard; null when it is gone. */
  runNow(identifier: string): Promise<EvaluationRun | null>;
  /** Resolves when the scorecard's queued runs are done. */
  settled(identifier: string): Promise<unknown>;
  /** Drops a deleted scorecard's lane. */
  forget(identifier: string): void;
  /** Counts `p` as work in flight until it settles (change handling, the schedule). */
  track(p: Promise<void>): void;
  /** Resolves when no change is being handled and no run is queued. */
  idle(): Promise<void>;
  /** Whether `stop()` was called. */
  stopped(): boolean;
  /** Queues nothing more; queued runs are dropped. */
  stop(): void;
}

/**
 * Creates the queue. `affected` turns seeds into the targets within reach (reevaluate-on-change.ts);
 * a partial run larger than `maxPartial` becomes a full run (one scan beats a long IN list).
 */
export function createEvaluationQueue(deps: {
  logger: Logger;
  store: ScorecardStore;
  runner: EvaluationRunner;
  affected: (sc: Scorecard, seeds: Seed[]) => Promise<string[]>;
  maxPartial: number;
}): EvaluationQueue {
  const { logger, store, runner, affected, maxPartial } = deps;
  const lanes = new Map<string, Lane>();
  const handling = new Set<Promise<void>>();
  let stopped = false;

  function laneOf(identifier: string): Lane {
    let lane = lanes.get(identifier);
    if (!lane) {
      lane = { tail: Promise.resolve(), scheduled: false, full: false, ids: new Set(), seeds: new Map() };
      lanes.set(identifier, lane);
    }
    return lane;
  }

  function enqueue(identifier: string, work: Work): void {
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
          await runner.run(identifier, null);
          return;
        }
        if (seeds.length > 0) {
          const sc = await store.get(identifier).catch(() => null);
          if (!sc) return;
          for (const id of await affected(sc, seeds)) ids.add(id);
        }
        if (ids.size === 0) return;
        await runner.run(identifier, ids.size > maxPartial ? null : [...ids]);
      })
      .catch((err) => logger.error('scorecard evaluation failed', { scorecard: identifier, err }));
  }

  return {
    enqueue,
    runNow(identifier) {
      const lane = laneOf(identifier);
      const done = lane.tail.then(() => runner.run(identifier, null));
      lane.tail = done.catch(() => {});
      return done;
    },
    settled(identifier) {
      return laneOf(identifier).tail;
    },
    forget(identifier) {
      lanes.delete(identifier);
    },
    track(p) {
      handling.add(p);
      void p.finally(() => handling.delete(p));
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
    stopped: () => stopped,
    stop() {
      stopped = true;
    },
  };
}
