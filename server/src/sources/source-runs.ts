/**
 * Source runs: a full sync claimed on the source (one at a time, across replicas, by a lease kept
 * alive while it runs), run in the background by the SDK's sync engine, its progress saved at
 * most once a second, its end recorded (retried while the database is away), and old runs
 * pruned. Runs of this instance are kept in memory while they go (`LiveRuns`), so views show
 * their progress without reading it back.
 */
import { randomUUID } from 'node:crypto';
import neo4j from 'neo4j-driver';
import {
  type Clock,
  ConfigInvalidError,
  type EgressPolicy,
  runFullSync,
  type SyncProgress,
  type SyncResult,
  type SyncStore,
} from '@plexus/connector-sdk';
import { adminChange, writeAudited } from '../audit/audit.ts';
import type { WriteContext } from '@plexus/contract';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type DefinitionDeps, type Prepared, prepare } from './source-definitions.ts';
import type { SourceStore } from './source-store.ts';
import type { SourcesService } from './sources-service.ts';

/** A run as the API shows it. `errors` is the count; `errorDetails` (single run only) the first 1000. */
export interface SourceRunView {
  id: string;
  source: string;
  trigger: 'manual' | 'schedule' | 'startup';
  triggeredBy: string;
  status: 'running' | SyncResult['status'];
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
  records: number;
  entities: number;
  /** Entities written (created + updated): 0 when nothing changed. */
  upserted: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  detached: number;
  errors: number;
  /** Records per second. */
  rate: number;
  errorDetails?: unknown[];
}

/** The runs going on in this instance, by run id: what stops them, their end, their progress. */
export type LiveRuns = Map<
  string,
  { controller: AbortController; done: Promise<SourceRunView | null>; view: SourceRunView }
>;

/** Starting, reading and waiting for runs: the service's run methods, plus what the other parts need. */
export interface SourceRuns extends Pick<SourcesService, 'getRun' | 'listRuns' | 'waitForRun'> {
  /** Starts a full sync in the background; 409 when one is running. */
  startRun(
    identifier: string,
    options: { actor: string; ctx?: WriteContext; trigger: SourceRunView['trigger']; allowMassDeletion?: boolean },
  ): Promise<SourceRunView>;
  /** Cancels running syncs (they end `aborted`, deleting nothing) and stops retrying to record ends. */
  stop(): void;
}

/** How long a claim on a source lasts without a heartbeat. */
const leaseMs = 60_000;
const keepRuns = 50;

/** A stored run record as the API shows it; `withErrors` adds its per-record problems. */
export function runView(r: Record<string, unknown>, withErrors = false): SourceRunView {
  const n = (k: string) => Number(r[k] ?? 0);
  const view: SourceRunView = {
    id: r.id as string,
    source: r.source as string,
    trigger: (r.trigger as SourceRunView['trigger']) ?? 'manual',
    triggeredBy: (r.triggeredBy as string) ?? '',
    status: r.status as SourceRunView['status'],
    message: (r.message as string) ?? null,
    startedAt: r.startedAt as string,
    finishedAt: (r.finishedAt as string) ?? null,
    records: n('records'),
    entities: n('entities'),
    upserted: n('created') + n('updated'),
    created: n('created'),
    updated: n('updated'),
    unchanged: n('unchanged'),
    deleted: n('deleted'),
    detached: n('detached'),
    errors: n('errorCount'),
    rate: n('rate'),
  };
  if (withErrors) view.errorDetails = typeof r.errorDetails === 'string' ? JSON.parse(r.errorDetails) : [];
  return view;
}

function runRecord(
  id: string,
  source: string,
  trigger: string,
  triggeredBy: string,
  startedAt: string,
  p: Partial<Omit<SyncProgress, 'phase'> & Omit<SyncResult, 'status'>> & { status: string },
) {
  return {
    id,
    source,
    trigger,
    triggeredBy,
    status: p.status,
    message: p.message ?? null,
    startedAt,
    finishedAt: p.finishedAt ?? null,
    records: p.records ?? 0,
    entities: p.entities ?? 0,
    created: p.created ?? 0,
    updated: p.updated ?? 0,
    unchanged: p.unchanged ?? 0,
    deleted: p.deleted ?? 0,
    detached: p.detached ?? 0,
    errorCount: p.errorCount ?? 0,
    rate: p.rate ?? 0,
    ...(p.errors ? { errorDetails: JSON.stringify(p.errors) } : {}),
  };
}

/** Creates the runs; `store` is the catalog side of a sync, `sources` the stored definitions. */
export function createSourceRuns(
  deps: DefinitionDeps & {
    db: Db;
    logger: Logger;
    store: SyncStore;
    sources: Pick<SourceStore, 'load'>;
    live: LiveRuns;
    clock: Clock;
    egress: EgressPolicy;
    fetch?: typeof fetch;
    batchSize?: number;
  },
): SourceRuns {
  const { db, logger, store, sources, live, clock, egress, files, baseDir } = deps;
  const finished = new Map<string, SourceRunView>();
  let stopped = false;

  async function saveRun(run: Record<string, unknown>): Promise<void> {
    await writeRows(db, loadQuery('sources/save-run'), { run, leaseUntil: neo4j.int(Date.now() + leaseMs) });
  }

  async function startRun(
    identifier: string,
    options: { actor: string; ctx?: WriteContext; trigger: SourceRunView['trigger']; allowMassDeletion?: boolean },
  ): Promise<SourceRunView> {
    const { stored } = await sources.load(identifier);
    let prepared: Prepared;
    try {
      prepared = prepare(deps, stored);
    } catch (err) {
      if (err instanceof ConfigInvalidError)
        throw new ConflictError(`source "${identifier}" has an invalid stored config: ${err.message}`);
      throw err;
    }
    if (!prepared.connector.fetch)
      throw new ConflictError(`a ${prepared.connector.type} source is fed by webhooks only; it has no sync`);
    const runId = `run-${randomUUID()}`;
    // A sync someone asked for is on record with its run id, committed with the claim.
    await writeAudited(db, async (tx) => {
      const claimed = await txRows(tx, loadQuery('sources/claim-source'), {
        identifier,
        runId,
        now: neo4j.int(Date.now()),
        leaseUntil: neo4j.int(Date.now() + leaseMs),
      });
      if (claimed.length === 0)
        throw new ConflictError(`source "${identifier}" is already syncing; wait for its run to finish`);
      const started = { run: runId, trigger: options.trigger, allowMassDeletion: options.allowMassDeletion ?? false };
      const events = options.ctx
        ? adminChange('source', identifier, { ...options.ctx, runId }, null, started, { type: 'source.syncStarted' })
        : [];
      return { result: undefined, events };
    });
    const startedAt = new Date().toISOString();
    const base = runRecord(runId, identifier, options.trigger, options.actor, startedAt, {
      status: 'running',
    });
    await saveRun(base);
    const controller = new AbortController();
    const entry = { controller, view: runView(base), done: Promise.resolve<SourceRunView | null>(null) };
    live.set(runId, entry);
    let lastSave = 0;
    let saving: Promise<void> = Promise.resolve();
    // Keeps the claim alive while a connector waits on a slow page or a rate limit.
    const heartbeat = setInterval(() => {
      saving = saving.then(() => saveRun({ id: runId })).catch(() => {});
    }, leaseMs / 3);
    heartbeat.unref();
    const log = logger.child({ source: identifier, runId });
    entry.done = (async () => {
      let result: SyncResult;
      try {
        result = await runFullSync({
          sourceId: identifier,
          connector: prepared.connector,
          config: prepared.config,
          mapping: prepared.mapping,
          store,
          runId,
          logger: log,
          clock,
          signal: controller.signal,
          fetch: deps.fetch,
          egress,
          files,
          baseDir,
          batchSize: Math.min(deps.batchSize ?? 500, 500),
          deletionThreshold: stored.deletionThreshold ?? 0.9,
          allowMassDeletion: options.allowMassDeletion,
          onProgress: (p) => {
            entry.view = runView(
              runRecord(runId, identifier, options.trigger, options.actor, startedAt, {
                ...p,
                status: 'running',
              }),
            );
            // Progress is saved at most once a second: GET .../runs/{run} and the CLI's bar read it.
            if (Date.now() - lastSave >= 1000) {
              lastSave = Date.now();
              const rec = runRecord(runId, identifier, options.trigger, options.actor, startedAt, {
                ...p,
                status: 'running',
              });
              saving = saving
                .then(() => saveRun(rec))
                .catch((err) => log.warn('could not save run progress', { err }));
            }
          },
        });
      } catch (err) {
        log.error('sync crashed', { err });
        result = {
          status: 'failed',
          message: `internal error: ${(err as Error).message}; nothing was deleted`,
          records: 0,
          entities: 0,
          created: 0,
          updated: 0,
          unchanged: 0,
          deleted: 0,
          detached: 0,
          errorCount: 0,
          errors: [],
          stale: 0,
          startedAt,
          finishedAt: new Date().toISOString(),
        };
      }
      clearInterval(heartbeat);
      await saving;
      const elapsed = Math.max(1, Date.parse(result.finishedAt) - Date.parse(startedAt));
      const rec = runRecord(runId, identifier, options.trigger, options.actor, startedAt, {
        ...result,
        rate: Math.round((result.records * 1000) / elapsed),
      });
      const final = runView(rec, true);
      const recordEnd = async () => {
        await saveRun(rec);
        await writeRows(db, loadQuery('sources/release-source'), { identifier, runId });
        await writeRows(db, loadQuery('sources/prune-runs'), {
          source: identifier,
          keep: neo4j.int(keepRuns),
        });
      };
      try {
        await recordEnd();
      } catch (err) {
        // The database is likely away (the run failed for that reason): record the outcome once it
        // is back, so the stored run does not stay `running`. Tried every 5 s for 10 minutes.
        log.warn('could not record the end of a run; retrying in the background', { err });
        let attempts = 0;
        let trying = false;
        const retry = setInterval(() => {
          if (stopped || ++attempts > 120) return clearInterval(retry);
          if (trying) return;
          trying = true;
          recordEnd().then(
            () => clearInterval(retry),
            () => {
              trying = false;
            },
          );
        }, 5000);
        retry.unref();
      }
      finished.set(runId, final);
      if (finished.size > 100) finished.delete(finished.keys().next().value as string);
      live.delete(runId);
      return final;
    })();
    return entry.view;
  }

  return {
    startRun,

    async getRun(identifier, runId) {
      const current = live.get(runId);
      if (current && current.view.source === identifier) return current.view;
      const [row] = await readRows<{ run: Record<string, unknown> }>(db, loadQuery('sources/get-run'), {
        id: runId,
        source: identifier,
      });
      if (!row) throw new NotFoundError(`run "${runId}" of source "${identifier}" does not exist`);
      return runView(row.run, true);
    },

    async listRuns(identifier, limit = 20) {
      await sources.load(identifier);
      const rows = await readRows<{ run: Record<string, unknown> }>(db, loadQuery('sources/list-runs'), {
        source: identifier,
        limit: neo4j.int(limit),
      });
      return rows.map((r) => runView(r.run));
    },

    async waitForRun(runId) {
      const current = live.get(runId);
      if (current) return current.done;
      return finished.get(runId) ?? null;
    },

    stop() {
      stopped = true;
      for (const run of live.values()) run.controller.abort(new Error('the server is stopping'));
    },
  };
}
