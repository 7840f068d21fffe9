/**
 * Scheduled full runs: every `scheduleMs`, scorecards without a full run in the last half of it
 * are queued for one (so replicas do not repeat each other's runs). This catches up what change
 * events cannot reach, such as rules that read entities not connected to the scored one.
 */
import type { JobScheduler } from '../db/lease.ts';
import type { Logger } from '../log.ts';
import type { EvaluationQueue } from './evaluation-queue.ts';
import type { ScorecardStore } from './scorecard-store.ts';

/**
 * Starts the schedule: on one replica at a time through `scheduler` (db/lease.ts) when given,
 * else on `timers`; `scheduleMs` 0 turns it off. Returns the function that stops it.
 */
export function scheduleFullRuns(deps: {
  logger: Logger;
  store: ScorecardStore;
  queue: EvaluationQueue;
  scheduleMs: number;
  timers: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
  scheduler?: JobScheduler;
}): () => void {
  const { logger, store, queue, scheduleMs, timers } = deps;
  const runSchedule = (): Promise<void> => {
    const p = store
      .list()
      .then((all) => {
        const due = Date.now() - scheduleMs / 2;
        for (const sc of all) {
          const last = sc.status?.fullEvaluatedAt;
          if (!last || Date.parse(last) < due) queue.enqueue(sc.identifier, { full: true });
        }
      })
      .catch((err) => logger.warn('scheduled scorecard evaluation failed', { err }));
    queue.track(p);
    return p;
  };
  const job =
    scheduleMs > 0 && deps.scheduler ? deps.scheduler.every('scorecards-full-runs', scheduleMs, runSchedule) : null;
  const timer = scheduleMs > 0 && !job ? timers.setInterval(() => void runSchedule(), scheduleMs) : null;
  (timer as { unref?: () => void } | null)?.unref?.();
  return () => {
    if (timer) timers.clearInterval(timer);
    void job?.stop();
  };
}
