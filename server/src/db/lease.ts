import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import neo4j from 'neo4j-driver';
import type { Logger } from '../log.ts';
import { type Db, readRows, writeRows } from './driver.ts';
import { loadQuery } from './query-loader.ts';

/**
 * A named lease in Neo4j (`(:_Lease {name})`), held by one replica at a time until it expires.
 * A holder renews it well before expiry; one that dies stops renewing, and after `ttlMs` any
 * other replica may take it. Times come from the database's clock, never the replicas'.
 */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** Takes or renews the lease; true while this holder has it. */
  acquire(): Promise<boolean>;
  /**
   * Starts a run of the job guarded by this lease: its start time (database clock, ms) when
   * this holder has the lease and no run of it started in the last `periodMs`, by any holder;
   * null otherwise.
   */
  claimRun(periodMs: number): Promise<number | null>;
  /** Gives the lease up so another replica takes it at once instead of after expiry. */
  release(): Promise<void>;
}

/** A lease as stored, for operators and tests. */
export interface LeaseState {
  name: string;
  /** Null when free or expired. */
  holder: string | null;
  until: number | null;
  lastRunAt: number | null;
  /** Runs started under this lease, by every holder. */
  runs: number;
}

/** A name for this process among the replicas: host, pid and a random part. */
export function replicaName(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Creates a handle on the lease `name` for `holder`. */
export function createLease(db: Db, options: { name: string; holder: string; ttlMs: number }): Lease {
  const { name, holder, ttlMs } = options;
  return {
    name,
    holder,
    async acquire() {
      const rows = await writeRows(db, loadQuery('leases/acquire-lease'), {
        name,
        holder,
        ttlMs: neo4j.int(ttlMs),
      });
      return rows.length > 0;
    },
    async claimRun(periodMs) {
      const [row] = await writeRows<{ at: number }>(db, loadQuery('leases/claim-run'), {
        name,
        holder,
        periodMs: neo4j.int(periodMs),
      });
      return row?.at ?? null;
    },
    async release() {
      await writeRows(db, loadQuery('leases/release-lease'), { name, holder });
    },
  };
}

/** Every lease in the database. */
export function listLeases(db: Db): Promise<LeaseState[]> {
  return readRows<LeaseState>(db, loadQuery('leases/list-leases'));
}

/** A job registered with {@link JobScheduler.every}. */
export interface ScheduledJob {
  /** Checks the lease now and runs the job if this replica holds it and it is due. */
  check(): Promise<void>;
  /** True while this replica holds the job's lease (as of the last check). */
  held(): boolean;
  /** Stops checking and releases the lease (best effort: otherwise it expires). */
  stop(): Promise<void>;
}

/** Runs periodic work once per period across every replica that shares the database. */
export interface JobScheduler {
  readonly holder: string;
  /**
   * Runs `job` every `periodMs` on whichever replica holds the lease `name`. A run that is
   * still going when the next one is due delays it; the lease is renewed meanwhile.
   */
  every(name: string, periodMs: number, job: (run: { at: number }) => Promise<unknown>): ScheduledJob;
  /** Stops every job and releases their leases. */
  stop(): Promise<void>;
}

/** Options of {@link createJobScheduler}. */
export interface JobSchedulerOptions {
  /** This replica's name in the leases; default {@link replicaName}. */
  holder?: string;
  /** How long a lease lasts without renewal: how soon another replica takes over a dead holder's work. */
  ttlMs?: number;
  /** Put before every lease name: keeps apart schedulers that share a database but not a deployment (tests). */
  prefix?: string;
  logger: Logger;
}

/**
 * Creates the scheduler every periodic job of a replica goes through (source syncs, scorecard
 * full runs, audit pruning). Each job checks its lease every `min(period, ttl / 3)`: the holder
 * renews it and runs the job when the stored last run is a period old; the others wait for it
 * to expire or be released.
 * @example scheduler.every('audit-prune', 3_600_000, () => audit.prune(365).then(() => {}))
 */
export function createJobScheduler(db: Db, options: JobSchedulerOptions): JobScheduler {
  const holder = options.holder ?? replicaName();
  const ttlMs = options.ttlMs ?? 30_000;
  const { logger } = options;
  const jobs = new Set<ScheduledJob>();
  return {
    holder,
    every(name, periodMs, job) {
      const lease = createLease(db, { name: `${options.prefix ?? ''}${name}`, holder, ttlMs });
      const checkMs = Math.max(20, Math.min(periodMs, Math.floor(ttlMs / 3)));
      let held = false;
      let stopped = false;
      let checking: Promise<void> | null = null;
      let running: Promise<void> | null = null;
      const check = async (): Promise<void> => {
        if (stopped) return;
        try {
          held = await lease.acquire();
          const at = held && !running && !stopped ? await lease.claimRun(periodMs) : null;
          if (at !== null) {
            running = job({ at })
              .then(() => {})
              .catch((err) => logger.warn('scheduled job failed', { job: name, err }))
              .finally(() => {
                running = null;
              });
          }
        } catch (err) {
          held = false;
          logger.warn("could not check a scheduled job's lease", { job: name, err });
        }
      };
      const guarded = (): Promise<void> => {
        checking ??= check().finally(() => {
          checking = null;
        });
        return checking;
      };
      const timer = setInterval(() => void guarded(), checkMs);
      timer.unref();
      const scheduled: ScheduledJob = {
        check: guarded,
        held: () => held,
        async stop() {
          stopped = true;
          clearInterval(timer);
          jobs.delete(scheduled);
          await checking;
          if (!held) return;
          held = false;
          await lease
            .release()
            .catch((err) => logger.debug('lease not released; it will expire', { job: name, err }));
        },
      };
      jobs.add(scheduled);
      // The first check at once, so a starting replica takes free leases without waiting a period.
      void guarded();
      return scheduled;
    },
    async stop() {
      await Promise.all([...jobs].map((j) => j.stop()));
    },
  };
}
