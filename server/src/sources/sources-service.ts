/**
 * The sources module: a composition of the parts, one job each, read in this order:
 * - source-definitions.ts: what a definition may say, its checks, compiling one for a run
 * - source-store.ts: registered sources (views, saves with their audit, plexus.yaml, removal)
 * - source-runs.ts: full syncs, claimed one at a time per source, and their records
 * - source-scheduler.ts: scheduled syncs
 * - source-webhooks.ts: webhook deliveries applied as deltas
 */
import {
  type Clock,
  type Connector,
  createEgressPolicy,
  createFilePolicy,
  type DeltaResult,
  type EgressPolicy,
  type FilePolicy,
  systemClock,
} from '@plexus/connector-sdk';
import type { Catalog } from '../catalog/catalog.ts';
import type { WriteContext } from '@plexus/contract';
import type { Db } from '../db/driver.ts';
import type { JobScheduler } from '../db/lease.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createCatalogSyncStore } from './catalog-sync-store.ts';
import { createSourceRuns, type LiveRuns, type SourceRunView } from './source-runs.ts';
import { createSourceScheduler } from './source-scheduler.ts';
import { createSourceStore, type SourceChange, type SourceView } from './source-store.ts';
import { createWebhookHandler } from './source-webhooks.ts';

export type { SourceDefinition } from './source-definitions.ts';
export type { SourceRunView } from './source-runs.ts';
export { auditedSource, configuredContext, type SourceChange, type SourceView } from './source-store.ts';

/** The sources module: registry, runs, schedules, webhooks. */
export interface SourcesService {
  /** Creates the schema, registers `plexus.yaml` sources and starts the scheduler. */
  start(): Promise<void>;
  /** Stops the scheduler and cancels running syncs (they end `aborted`, deleting nothing). */
  stop(): void;
  /** Adds or replaces a connector type (tests, plugins). */
  registerConnector(connector: Connector<any>): void;
  connectorTypes(): string[];
  list(): Promise<SourceView[]>;
  get(identifier: string): Promise<SourceView>;
  /**
   * Registers a source, audited in the same transaction (`ctx`: who, and the origin recorded on
   * the source: `ui` or `cli` as declared, else `api`; `ctx.applySet` its `plexus apply` set).
   */
  create(def: unknown, ctx: WriteContext): Promise<SourceView>;
  /** Replaces a source's definition (secrets left out keep their stored value), audited in the same transaction. */
  replace(identifier: string, def: unknown, ctx: WriteContext): Promise<SourceView>;
  /**
   * What `create` (`identifier` null) or `replace` would record, as the audited snapshots: every
   * check of the save, nothing stored, nothing audited (`?dryRun=true`).
   */
  planSave(identifier: string | null, def: unknown, ctx: WriteContext): Promise<SourceChange>;
  /**
   * Deletes the source; with `purge`, first removes everything it contributed to the catalog (each
   * removal audited as an entity change). The deletion and its audit record commit together.
   * `dryRun`: the checks only, and what would be recorded.
   */
  remove(identifier: string, ctx: WriteContext, options?: { purge?: boolean; dryRun?: boolean }): Promise<{ purged: number; change: SourceChange }>;
  /**
   * Starts a full sync in the background; 409 when one is running. With `ctx` (a person asked for
   * it), the start is audited (`source.syncStarted`, with the run id) with the claim of the source.
   */
  sync(
    identifier: string,
    options: { actor: string; ctx?: WriteContext; trigger?: SourceRunView['trigger']; allowMassDeletion?: boolean },
  ): Promise<SourceRunView>;
  getRun(identifier: string, runId: string): Promise<SourceRunView>;
  listRuns(identifier: string, limit?: number): Promise<SourceRunView[]>;
  /** The entities this source has contributed to (its ledger), as `{blueprint, identifier}`. */
  entities(identifier: string): Promise<{ blueprint: string; identifier: string }[]>;
  /** Resolves when the run ends (tests, the CLI's in-process mode). */
  waitForRun(runId: string): Promise<SourceRunView | null>;
  /** Verifies and applies one webhook delivery; 401 on a bad signature (nothing changed). */
  handleWebhook(
    identifier: string,
    headers: Headers,
    rawBody: string,
  ): Promise<DeltaResult & { runId: string }>;
}

/** Creates the sources module. Side-effect free until `start()`. */
export function createSourcesService(deps: {
  db: Db;
  catalog: Catalog;
  models: BlueprintStore;
  logger: Logger;
  connectors: Connector<any>[];
  /** Raw `sources:` from plexus.yaml. */
  configured?: unknown[];
  env?: NodeJS.ProcessEnv;
  baseDir?: string;
  batchSize?: number;
  /** For connectors' waits (rate limits, backoff); tests pass an instant clock. */
  clock?: Clock;
  fetch?: typeof fetch;
  /** Where connectors' HTTP may go (`PLEXUS_EGRESS_ALLOW`...). Default: public addresses only. */
  egress?: EgressPolicy;
  /** Which files connectors may read (`PLEXUS_FILE_ROOTS`...). Default: inside `baseDir`. */
  files?: FilePolicy;
  /** How often the scheduler looks for due sources. Default 15 s. */
  tickMs?: number;
  /**
   * Runs the scheduler's ticks on one replica at a time (db/lease.ts); without it this
   * instance ticks on its own timer.
   */
  scheduler?: JobScheduler;
}): SourcesService {
  const { db, catalog, models, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const baseDir = deps.baseDir ?? process.cwd();
  const egress = deps.egress ?? createEgressPolicy();
  const files = deps.files ?? createFilePolicy({ allowedRoots: [baseDir] });
  const connectors = new Map<string, Connector<any>>(deps.connectors.map((c) => [c.type, c]));
  // `store` is the catalog side of syncs (ledgers, contributions); `sources` the registered definitions.
  const store = createCatalogSyncStore({ db, catalog, models, batchSize: deps.batchSize });
  const live: LiveRuns = new Map();
  const shared = { db, logger, connectors, files, baseDir, store };
  const sources = createSourceStore({ ...shared, live });
  const runs = createSourceRuns({ ...shared, sources, live, clock, egress, fetch: deps.fetch, batchSize: deps.batchSize });
  const schedule = createSourceScheduler({ db, logger, runs, scheduler: deps.scheduler });
  const handleWebhook = createWebhookHandler({ ...shared, sources, clock, egress, fetch: deps.fetch });

  return {
    async start() {
      await sources.registerConfigured(deps.configured ?? [], deps.env ?? process.env);
      schedule.start(deps.tickMs ?? 15_000);
    },

    stop() {
      schedule.stop();
      runs.stop();
    },

    registerConnector(connector) {
      connectors.set(connector.type, connector);
    },

    connectorTypes() {
      return [...connectors.keys()].sort();
    },

    list: sources.list,
    get: sources.get,
    create: sources.create,
    replace: sources.replace,
    planSave: sources.planSave,
    remove: sources.remove,
    entities: sources.entities,

    sync(identifier, options) {
      return runs.startRun(identifier, {
        actor: options.actor,
        ctx: options.ctx,
        trigger: options.trigger ?? 'manual',
        allowMassDeletion: options.allowMassDeletion,
      });
    },

    getRun: runs.getRun,
    listRuns: runs.listRuns,
    waitForRun: runs.waitForRun,
    handleWebhook,
  };
}
