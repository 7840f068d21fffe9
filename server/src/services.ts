import { type AuditLog, createAuditLog } from './audit/audit.ts';
import { type AccessControl, createAccessControl, createIdentityStore, createTokenStore, type IdentityStore, type TokenStore } from './auth/index.ts';
import { type Catalog, createCatalog } from './catalog/catalog.ts';
import { createEventBus, type EventBus } from './catalog/events.ts';
import type { PlexusConfig } from './config.ts';
import type { Db } from './db/driver.ts';
import { runMigrations } from './db/migrations.ts';
import { createSchemaService, type SchemaService } from './graphql/schema-service.ts';
import { createImpactService, type ImpactService } from './impact/impact.ts';
import { createSavedQueries, type SavedQueries } from './queries/saved-queries.ts';
import type { Logger } from './log.ts';
import { type BlueprintStore, createBlueprintStore } from './model/blueprint-store.ts';
import { createScorecardAdmin, createScorecardService, type ScorecardAdmin, type ScorecardService } from './scorecards/index.ts';
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
  /** Stops timers (model polling, schema rebuilds) and the GraphQL workers; does not close the driver. */
  stop(): void;
}

/**
 * Wires the modules together: migrations, model store (loaded, then polled so replicas see
 * each other's blueprint changes), catalog, GraphQL schema service and token store.
 */
export async function createServices(config: PlexusConfig, db: Db, logger: Logger, options: { eagerSchema?: boolean } = {}): Promise<Services> {
  await runMigrations(db);
  const events = createEventBus(logger);
  const models = createBlueprintStore(db, logger);
  await models.refresh();
  const catalog = createCatalog({ db, models, events, logger, batchSize: config.limits.batchSize });
  const search = createSearchService({ db, models });
  const impact = createImpactService({ db, models });
  const access = createAccessControl({ db, models, options: { ownerRelation: config.auth.ownerRelation } });
  // Re-evaluates on entity changes and, hourly, in full.
  const scorecards = createScorecardService({ db, models, events, logger });
  const audit = createAuditLog(db);
  const scorecardAdmin = createScorecardAdmin({ scorecards, audit });
  if (!config.neo4j.uri) throw new Error('createServices needs config.neo4j.uri: the GraphQL workers connect to it');
  const neo4j = { ...config.neo4j, uri: config.neo4j.uri };
  const schemas = createSchemaService({ db, neo4j, models, catalog, search, impact, access, scorecards, scorecardAdmin, logger, debounceMs: config.graphql.rebuildDebounceMs, eager: options.eagerSchema ?? true, workers: config.graphql.workers });
  const tokens = createTokenStore(db, { adminToken: config.adminToken });
  // Cached token verifications carry a user's role and teams: forget them when those change.
  const identities = createIdentityStore(db);
  identities.onChange(() => tokens.forget());
  const prune = setInterval(() => {
    audit.prune(config.audit.retentionDays).catch((err) => logger.warn('audit pruning failed', { err }));
  }, 3_600_000);
  prune.unref();
  const poll =
    config.graphql.modelPollMs > 0
      ? setInterval(() => {
          models.refresh().catch((err) => logger.warn('model refresh failed', { err }));
        }, config.graphql.modelPollMs)
      : null;
  poll?.unref();
  const sources = await startSourcesService({ db, catalog, models, logger, configured: config.sources, batchSize: config.limits.batchSize });
  return {
    config,
    db,
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
    queries: createSavedQueries(db),
    sources,
    scorecards,
    scorecardAdmin,
    stop() {
      sources.stop();
      scorecards.stop();
      clearInterval(prune);
      if (poll) clearInterval(poll);
      void schemas.stop();
    },
  };
}
