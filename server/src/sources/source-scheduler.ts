/**
 * The source scheduler: every tick, starts a full sync of each source whose schedule is due and
 * that no replica is syncing (the claim in source-runs.ts settles races between replicas), and
 * once an hour prunes expired webhook delivery keys. Ticks run on one replica at a time through
 * a `JobScheduler` (db/lease.ts) when given, else on this instance's own timer.
 */
import { type Db, readRows, writeRows } from '../db/driver.ts';
import type { JobScheduler, ScheduledJob } from '../db/lease.ts';
import { loadQuery } from '../db/query-loader.ts';
import type { Logger } from '../log.ts';
import { parseSchedule } from './schedule.ts';
import type { SourceRuns } from './source-runs.ts';
import type { StoredSource } from './source-store.ts';

/** Starts and stops the ticks. */
export interface SourceScheduler {
  /** Ticks every `tickMs` (0: never). */
  start(tickMs: number): void;
  stop(): void;
}

/** Creates the scheduler (nothing ticks until `start`). */
export function createSourceScheduler(deps: {
  db: Db;
  logger: Logger;
  runs: Pick<SourceRuns, 'startRun'>;
  scheduler?: JobScheduler;
}): SourceScheduler {
  const { db, logger, runs } = deps;
  let timer: NodeJS.Timeout | null = null;
  let job: ScheduledJob | null = null;
  let stopped = false;
  let prunedAt = 0;

  async function tick(): Promise<void> {
    if (stopped) return;
    if (Date.now() - prunedAt > 3_600_000) {
      prunedAt = Date.now();
      await writeRows(db, loadQuery('sources/prune-deliveries'), { now: Date.now() }).catch((err) => logger.warn('pruning webhook deliveries failed', { err }));
    }
    const rows = await readRows<{ source: StoredSource; lastRun: Record<string, unknown> | null }>(
      db,
      loadQuery('sources/list-sources'),
      { identifier: null },
    );
    for (const { source, lastRun } of rows) {
      if (!source.schedule || (source.runId && (source.leaseUntil ?? 0) > Date.now())) continue;
      const interval = parseSchedule(source.schedule);
      if (typeof interval === 'string') continue;
      const last = lastRun ? Date.parse(lastRun.startedAt as string) : 0;
      if (Date.now() - last < interval) continue;
      try {
        await runs.startRun(source.identifier, { actor: 'scheduler', trigger: 'schedule' });
      } catch (err) {
        // Another replica claimed it first, or the source is misconfigured: both are logged, neither is fatal.
        logger.debug('scheduled sync not started', {
          source: source.identifier,
          reason: (err as Error).message,
        });
      }
    }
  }

  return {
    start(tickMs) {
      if (tickMs > 0 && deps.scheduler) {
        job = deps.scheduler.every('sources-scheduler', tickMs, () => tick());
      } else if (tickMs > 0) {
        timer = setInterval(() => {
          tick().catch((err) => logger.warn('source scheduler tick failed', { err }));
        }, tickMs);
        timer.unref();
      }
    },
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      void job?.stop();
    },
  };
}
