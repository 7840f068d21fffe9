import {
  createEgressPolicy,
  createFilePolicy,
  type EgressPolicy,
  type FilePolicy,
} from '@plexus/connector-sdk';
import { type Automations, createAutomations } from './actions/automations/index.ts';
import {
  createActionsService,
  createSecretBox,
  loadSecretsKey,
  type PlexusActions,
} from './actions/index.ts';
import { type AuditLog, createAuditLog } from './audit/audit.ts';
import {
  type AccessControl,
  createAccessControl,
  createIdentityStore,
  createTokenStore,
  type IdentityStore,
  type TokenStore,
} from './auth/index.ts';
import { type Catalog, createCatalog } from './catalog/catalog.ts';
import { createEventBus, type EventBus } from './catalog/events.ts';
import type { PlexusConfig } from './config.ts';
import { createDbHealth, type Db, type DbHealth } from './db/driver.ts';
import { createJobScheduler, type JobScheduler } from './db/lease.ts';
import { runMigrations } from './db/migrations.ts';
import { createSchemaService, type SchemaService } from './graphql/schema-service.ts';
import { createImpactService, type ImpactService } from './impact/impact.ts';
import type { Logger } from './log.ts';
import { type BlueprintStore, createBlueprintStore } from './model/blueprint-store.ts';
import { createSavedQueries, type SavedQueries } from './queries/saved-queries.ts';
import {
  createScorecardAdmin,
  createScorecardService,
  type ScorecardAdmin,
  type ScorecardService,
} from './scorecards/index.ts';
import { createSearchService, type SearchService } from './search/search.ts';
import { type SourcesService, startSourcesService } from './sources/index.ts';

/** Everything `createApp` needs, built once per process (or per test). */
export interface Services {
  config: PlexusConfig;
  db: Db;
  logger: Logger;
  events: EventBus;
  models: BlueprintStore;
  catalog: Catalog;
  schemas: SchemaService;
  tokens: TokenStore;
  identities: IdentityStore;
  /** Every permission question (auth/authorize.ts decides; this gathers the facts). */
  access: AccessControl;
  search: SearchService;
  impact: ImpactService;
  audit: AuditLog;
  queries: SavedQueries;
  sources: SourcesService;
  scorecards: ScorecardService;
  /** Changing scorecards: permission check and audit, shared by REST and GraphQL. */
  scorecardAdmin: ScorecardAdmin;
  /** Whether Neo4j answers (background probe): requests answer 503 at once while it does not. */
  health: DbHealth;
  /** The one egress policy for every outbound call (connectors now, action invokers too). */
  egress: EgressPolicy;
  /** The one file policy for every file a connector reads. */
  files: FilePolicy;
  /** Periodic work, run once across replicas through leases in Neo4j; `jobs.holder` names this replica. */
  jobs: JobScheduler;
  /** Actions, runs, approvals and executor reports (docs/actions.md). */
  actions: PlexusActions;
  /** Automation definitions and the consumer that fires them from the audit trail. */
  automations: Automations;
  /** Stops timers (model polling, schema rebuilds, scheduled jobs, releasing their leases) and the GraphQL workers; does not close the driver. */
  stop(): void;
}

/**
 * Wires the modules together: migrations, model store (loaded, then polled so replicas see
 * each other's blueprint changes), catalog, GraphQL schema service and token store.
 */
export async function createServices(
  config: PlexusConfig,
  db: Db,
  logger: Logger,
  options: { eagerSchema?: boolean; leasePrefix?: string } = {},
): Promise<Services> {
  await runMigrations(db);
  const events = createEventBus(logger);
  const models = createBlueprintStore(db, logger, { events });
  await models.refresh();
  const catalog = createCatalog({ db, models, events, logger, batchSize: config.limits.batchSize });
  const impact = createImpactService({ db, models });
  const search = createSearchService({ db, models, impact });
  const access = createAccessControl({ db, models, options: { ownerRelation: config.auth.ownerRelation } });
  // Source syncs, scorecard full runs and audit pruning each run on one replica at a time.
  const jobs = createJobScheduler(db, {
    ttlMs: config.scheduler.leaseTtlMs,
    logger,
    prefix: options.leasePrefix,
  });
  // Re-evaluates on entity changes and, hourly, in full.
  const scorecards = createScorecardService({
    db,
    models,
    events,
    logger,
    options: { scheduleMs: config.scheduler.scorecardRunMs, scheduler: jobs },
  });
  const audit = createAuditLog(db);
  const scorecardAdmin = createScorecardAdmin({ scorecards });
  // One file policy and one egress policy for every connector and action invoker (docs/security.md).
  const files = createFilePolicy({
    allowedRoots: config.files.roots,
    deniedRoots: [config.dataDir],
    maxPlaceholderBytes: config.files.maxPlaceholderBytes,
  });
  const egress = createEgressPolicy(config.egress);
  // Secrets of actions (invoker secrets, secret inputs) are sealed with this key (docs/actions.md).
  const box = createSecretBox(loadSecretsKey(config.actions.secretsKey, config.dataDir));
  const actions = createActionsService({
    db,
    models,
    catalog,
    access,
    egress,
    logger,
    config: config.actions,
    box,
    jobs,
  });
  if (!config.neo4j.uri)
    throw new Error('createServices needs config.neo4j.uri: the GraphQL workers connect to it');
  const neo4j = { ...config.neo4j, uri: config.neo4j.uri };
  const schemas = createSchemaService({
    db,
    neo4j,
    models,
    catalog,
    search,
    impact,
    access,
    scorecards,
    scorecardAdmin,
    actions,
    logger,
    debounceMs: config.graphql.rebuildDebounceMs,
    eager: options.eagerSchema ?? true,
    workers: config.graphql.workers,
    limits: config.graphqlLimits,
  });
  const tokens = createTokenStore(db, { adminToken: config.adminToken });
  // Cached token verifications carry a user's role and teams: forget them when those change.
  const identities = createIdentityStore(db);
  identities.onChange(() => tokens.forget());
  const poll =
    config.graphql.modelPollMs > 0
      ? setInterval(() => {
          models.refresh().catch((err) => logger.warn('model refresh failed', { err }));
        }, config.graphql.modelPollMs)
      : null;
  poll?.unref();
  const health = createDbHealth(db, {
    onChange: (up, reason) =>
      up
        ? logger.info('database is reachable again')
        : logger.warn('database is unreachable: answering 503 until it is back', { reason }),
  });
  const sources = await startSourcesService({
    db,
    catalog,
    models,
    logger,
    configured: config.sources,
    batchSize: config.limits.batchSize,
    files,
    egress,
    tickMs: config.scheduler.sourceTickMs,
    scheduler: jobs,
  });
  // Fires automations from the audit trail, on one replica at a time: one consumer (lease and
  // cursor) per database, whatever the lease prefix, since the automations are the database's.
  const automations = createAutomations({
    db,
    catalog,
    models,
    scorecards,
    events,
    egress,
    logger,
    secrets: box,
    actions: () => actions,
    consumer: {
      name: 'automations',
      holder: jobs.holder,
      leaseTtlMs: config.scheduler.leaseTtlMs,
      ...config.automations,
    },
  });
  actions.onRunStatus(() => automations.consumer?.nudge());
  // Retention: the audit trail and the automation firings it caused, once across replicas.
  if (config.scheduler.auditPruneMs > 0)
    jobs.every('audit-prune', config.scheduler.auditPruneMs, async () => {
      await audit.prune(config.audit.retentionDays);
      await automations.store.pruneFirings(config.audit.retentionDays);
    });
  return {
    config,
    db,
    actions,
    logger,
    events,
    models,
    catalog,
    schemas,
    tokens,
    identities,
    access,
    search,
    impact,
    audit,
    queries: createSavedQueries(db, { model: () => models.current() }),
    sources,
    scorecards,
    scorecardAdmin,
    health,
    egress,
    files,
    jobs,
    automations,
    stop() {
      void automations.stop();
      actions.stop();
      health.stop();
      sources.stop();
      scorecards.stop();
      void jobs.stop();
      if (poll) clearInterval(poll);
      void schemas.stop();
    },
  };
}
