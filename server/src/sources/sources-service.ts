import { randomUUID } from 'node:crypto';
import {
  applyDeltas,
  type Clock,
  type CompiledMapping,
  ConfigInvalidError,
  type Connector,
  type ConnectorContext,
  compileMapping,
  createEgressPolicy,
  createFilePolicy,
  createHttpClient,
  type DeltaResult,
  type EgressPolicy,
  type FilePolicy,
  keepSecrets,
  type MappingDocument,
  MappingInvalidError,
  normaliseHeaders,
  readMappingDocument,
  runFullSync,
  type SyncProgress,
  type SyncResult,
  systemClock,
  withoutSecrets,
} from '@plexus/connector-sdk';
import type { WriteContext } from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import neo4j from 'neo4j-driver';
import { adminChange, writeAudited } from '../audit/audit.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import type { JobScheduler, ScheduledJob } from '../db/lease.ts';
import { cypherStatements } from '../db/migrations.ts';
import { loadQuery } from '../db/query-loader.ts';
import {
  BadRequestError,
  ConflictError,
  type ErrorDetail,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../errors.ts';
import { defaultBodyLimits, parseJsonText } from '../http.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createCatalogSyncStore } from './catalog-sync-store.ts';
import { parseSchedule } from './schedule.ts';

/** A source as a client defines it (`plexus.yaml` `sources:` or `POST /api/v1/sources`). */
export interface SourceDefinition {
  identifier: string;
  type: string;
  config: Record<string, unknown>;
  /** Replaces the connector's default mapping. */
  mapping?: MappingDocument | null;
  /** How often to run a full sync, e.g. `15m`; none means on demand (and webhooks). */
  schedule?: string | null;
  /** Largest share of the source's entities one sync may delete (0–1). Default 0.9. */
  deletionThreshold?: number;
}

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

/** A source as the API shows it: never with its secrets. */
export interface SourceView {
  identifier: string;
  type: string;
  config: unknown;
  /** Secret config paths that hold a value (the values are write-only). */
  secretsSet: string[];
  mapping: MappingDocument | null;
  schedule: string | null;
  deletionThreshold: number;
  /** `config` (plexus.yaml; change it there), `api`, `ui` or `cli` (registered by `plexus apply`, which may prune it). */
  origin: 'config' | 'api' | 'ui' | 'cli';
  /** The `plexus apply` set that saved it last (absent when saved otherwise). */
  applySet?: string;
  status: 'idle' | 'running';
  lastRun: SourceRunView | null;
  entityCount: number;
  webhook: { path: string; lastDelivery: unknown } | null;
  createdAt: string;
  updatedAt: string;
}

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

/** A source's change as audited: definitions without run state or secret values (`auditedSource`). */
export interface SourceChange {
  identifier: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * A source as audited: its definition without run state, and `secretsWritten`: which secret paths
 * the save gave a new value (a rotated secret is a change the values cannot show). The view never
 * holds secret values, so neither does the audit trail.
 */
export function auditedSource(v: SourceView | null, secretsWritten: string[] = []): Record<string, unknown> | null {
  if (!v) return null;
  const { status, lastRun, entityCount, webhook, ...definition } = v;
  // Listed only when some were: a re-save with the same secrets is no change at all.
  return secretsWritten.length > 0 ? { ...definition, secretsWritten } : definition;
}

/** The secret paths whose value in `next` is new or differs from `previous` (raw configs). */
function changedSecrets(secretPaths: readonly string[], previous: unknown, next: unknown): string[] {
  const at = (config: unknown, path: string) =>
    path.split('/').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), config);
  return secretPaths.filter((p) => at(next, p) !== undefined && JSON.stringify(at(next, p)) !== JSON.stringify(at(previous, p)));
}

/** The origin a save records on a source: what the client declared (`ui`, `cli`), else `api`. */
function originOf(ctx: WriteContext): 'api' | 'ui' | 'cli' {
  return ctx.source === 'ui' || ctx.source === 'cli' ? ctx.source : 'api';
}

/** Who and where a `plexus.yaml` source's registration is audited as. */
export const configuredContext: WriteContext = { actor: 'plexus.yaml', source: 'config' };

interface StoredSource {
  identifier: string;
  type: string;
  config: string;
  mapping: string | null;
  schedule: string | null;
  deletionThreshold: number | null;
  origin: SourceView['origin'];
  applySet?: string | null;
  createdAt: string;
  updatedAt: string;
  runId?: string | null;
  leaseUntil?: number | null;
  lastWebhook?: string | null;
}

interface Prepared<C = unknown> {
  connector: Connector<C>;
  config: C;
  mapping: CompiledMapping;
}

const identifierPattern = /^[a-z][a-z0-9-]{0,62}$/;
const leaseMs = 60_000;
const keepRuns = 50;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills `${NAME}` in plexus.yaml source configs from the environment, so secrets stay out of the file. */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) missing.push(`${path}: environment variable ${name} is not set`);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${path}/${i}`, missing));
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, `${path}/${k}`, missing)]),
    );
  return value;
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
  const store = createCatalogSyncStore({ db, catalog, models, batchSize: deps.batchSize });
  const live = new Map<
    string,
    { controller: AbortController; done: Promise<SourceRunView | null>; view: SourceRunView }
  >();
  const finished = new Map<string, SourceRunView>();
  let timer: NodeJS.Timeout | null = null;
  let job: ScheduledJob | null = null;
  let stopped = false;

  /** Checks a definition and compiles what it needs; every problem is a 422 detail with its path. */
  function check(
    raw: unknown,
    pathIdentifier?: string,
  ): { def: Required<SourceDefinition>; prepared: Prepared } {
    const details: ErrorDetail[] = [];
    if (!isObject(raw))
      throw new BadRequestError(
        'a source is an object: {"identifier", "type", "config", "mapping"?, "schedule"?}',
      );
    const allowed = new Set(['identifier', 'type', 'config', 'mapping', 'schedule', 'deletionThreshold']);
    for (const k of Object.keys(raw))
      if (!allowed.has(k))
        details.push({ path: `/${k}`, message: `unknown key; a source has ${[...allowed].join(', ')}` });
    const identifier = raw.identifier ?? pathIdentifier;
    if (typeof identifier !== 'string' || !identifierPattern.test(identifier)) {
      details.push({
        path: '/identifier',
        message:
          'identifier must be lower-case letters, digits and dashes, starting with a letter (at most 63)',
      });
    } else if (pathIdentifier && identifier !== pathIdentifier) {
      details.push({
        path: '/identifier',
        message: `identifier "${identifier}" does not match the URL's "${pathIdentifier}"`,
      });
    }
    const connector = typeof raw.type === 'string' ? connectors.get(raw.type) : undefined;
    if (!connector)
      details.push({
        path: '/type',
        message: `type must be one of ${[...connectors.keys()].join(', ')}; got ${JSON.stringify(raw.type)}`,
      });
    let config: unknown;
    if (connector) {
      try {
        config = connector.config.parse(raw.config ?? {});
      } catch (err) {
        if (!(err instanceof ConfigInvalidError)) throw err;
        for (const i of err.issues) details.push({ path: `/config${i.path}`, message: i.message });
      }
      // Files a source names must lie inside the server's allowed roots (PLEXUS_FILE_ROOTS).
      if (config !== undefined)
        for (const f of connector.filePaths?.(config) ?? []) {
          const why = files.checkConfiguredPath(f.path, baseDir);
          if (why) details.push({ path: `/config${f.pointer}`, message: why });
        }
    }
    let mappingDoc: MappingDocument | null = null;
    let mapping: CompiledMapping | undefined;
    if (raw.mapping !== undefined && raw.mapping !== null) {
      try {
        mappingDoc = readMappingDocument(raw.mapping as MappingDocument | string);
        mapping = compileMapping(mappingDoc, { functions: connector?.mappingFunctions });
      } catch (err) {
        if (err instanceof MappingInvalidError)
          for (const i of err.issues)
            details.push({ path: `/mapping${i.path === '/' ? '' : i.path}`, message: i.message });
        else details.push({ path: '/mapping', message: (err as Error).message });
      }
    } else if (connector) {
      mapping = compileMapping(connector.defaultMapping, { functions: connector.mappingFunctions });
    }
    let schedule: string | null = null;
    if (raw.schedule !== undefined && raw.schedule !== null && raw.schedule !== '') {
      const ms =
        typeof raw.schedule === 'string'
          ? parseSchedule(raw.schedule)
          : 'schedule must be a string such as "15m"';
      if (typeof ms === 'string') details.push({ path: '/schedule', message: ms });
      else schedule = raw.schedule as string;
      if (connector && !connector.fetch)
        details.push({
          path: '/schedule',
          message: `a ${connector.type} source is fed by webhooks only; it has no sync to schedule`,
        });
    }
    const threshold = raw.deletionThreshold ?? 0.9;
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1)
      details.push({ path: '/deletionThreshold', message: 'deletionThreshold must be a number from 0 to 1' });
    if (details.length > 0)
      throw new ValidationError(
        `the source definition is invalid (${details.length} problem${details.length === 1 ? '' : 's'})`,
        details,
      );
    return {
      def: {
        identifier: identifier as string,
        type: connector!.type,
        config: raw.config as Record<string, unknown>,
        mapping: mappingDoc,
        schedule,
        deletionThreshold: threshold as number,
      },
      prepared: { connector: connector!, config, mapping: mapping! },
    };
  }

  async function load(
    identifier: string,
  ): Promise<{ stored: StoredSource; lastRun: SourceRunView | null; entityCount: number }> {
    const [row] = await readRows<{
      source: StoredSource;
      lastRun: Record<string, unknown> | null;
      entityCount: number;
    }>(db, loadQuery('sources/list-sources'), { identifier });
    if (!row)
      throw new NotFoundError(`source "${identifier}" does not exist; GET /api/v1/sources lists them`);
    return {
      stored: row.source,
      lastRun: row.lastRun ? runView(row.lastRun) : null,
      entityCount: row.entityCount,
    };
  }

  function prepare(stored: StoredSource): Prepared {
    const connector = connectors.get(stored.type);
    if (!connector)
      throw new ConflictError(
        `source "${stored.identifier}" has type "${stored.type}", which this server has no connector for`,
      );
    const raw = JSON.parse(stored.config);
    const config = connector.config.parse(raw);
    const mapping = compileMapping(
      stored.mapping ? (JSON.parse(stored.mapping) as MappingDocument) : connector.defaultMapping,
      { functions: connector.mappingFunctions },
    );
    return { connector, config, mapping };
  }

  function runView(r: Record<string, unknown>, withErrors = false): SourceRunView {
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

  function view(stored: StoredSource, lastRun: SourceRunView | null, entityCount: number): SourceView {
    const connector = connectors.get(stored.type);
    const raw = JSON.parse(stored.config);
    const { config, secretsSet } = withoutSecrets(raw, connector?.config.secretPaths ?? []);
    const running =
      live.has(stored.runId ?? '') || (stored.runId != null && (stored.leaseUntil ?? 0) > Date.now());
    const current = stored.runId ? live.get(stored.runId)?.view : undefined;
    return {
      identifier: stored.identifier,
      type: stored.type,
      config,
      secretsSet,
      mapping: stored.mapping ? JSON.parse(stored.mapping) : null,
      schedule: stored.schedule ?? null,
      deletionThreshold: stored.deletionThreshold ?? 0.9,
      origin: stored.origin,
      ...(stored.applySet ? { applySet: stored.applySet } : {}),
      status: running ? 'running' : 'idle',
      lastRun: current ?? lastRun,
      entityCount,
      webhook: connector?.webhook
        ? {
            path: `/webhooks/${stored.identifier}`,
            lastDelivery: stored.lastWebhook ? JSON.parse(stored.lastWebhook) : null,
          }
        : null,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
    };
  }

  function storedForm(def: Required<SourceDefinition>, origin: SourceView['origin'], applySet: string | undefined) {
    return {
      identifier: def.identifier,
      type: def.type,
      config: JSON.stringify(def.config ?? {}),
      mapping: def.mapping ? JSON.stringify(def.mapping) : null,
      schedule: def.schedule,
      deletionThreshold: def.deletionThreshold,
      origin,
      applySet: applySet ?? null,
    };
  }

  /** The stored definition of a source inside `tx`, or null. */
  async function storedIn(tx: ManagedTransaction, identifier: string): Promise<StoredSource | null> {
    const [row] = await txRows<{ source: StoredSource }>(tx, loadQuery('sources/get-source'), { identifier });
    return row?.source ?? null;
  }

  /** A change of `before` into `after` as audited; secrets compared by value, never recorded. */
  function sourceChange(identifier: string, before: StoredSource | null, after: StoredSource | null): SourceChange {
    const written = after
      ? changedSecrets(connectors.get(after.type)?.config.secretPaths ?? [], before ? JSON.parse(before.config) : null, JSON.parse(after.config))
      : [];
    return {
      identifier,
      before: auditedSource(before && view(before, null, 0)),
      after: auditedSource(after && view(after, null, 0), written),
    };
  }

  function checkMode(identifier: string, before: StoredSource | null, mode: 'create' | 'replace' | 'config'): void {
    if (mode === 'create' && before)
      throw new ConflictError(`source "${identifier}" exists; PUT /api/v1/sources/${identifier} replaces it`);
    if (mode === 'replace' && !before)
      throw new NotFoundError(`source "${identifier}" does not exist; GET /api/v1/sources lists them`);
    if (mode === 'replace' && before?.origin === 'config')
      throw new ConflictError(`source "${identifier}" is defined in plexus.yaml; change it there`);
  }

  /**
   * Saves a definition and records its audit event in one transaction. `mode` says what must be
   * there already: nothing (`create`), a source not from plexus.yaml (`replace`), or anything
   * (`config`: plexus.yaml wins). A save that changes nothing records nothing.
   */
  async function save(
    def: Required<SourceDefinition>,
    origin: SourceView['origin'],
    ctx: WriteContext,
    mode: 'create' | 'replace' | 'config',
  ): Promise<SourceChange> {
    return writeAudited(db, async (tx) => {
      const before = await storedIn(tx, def.identifier);
      checkMode(def.identifier, before, mode);
      await tx.run(loadQuery('sources/save-source'), {
        source: storedForm(def, origin, ctx.applySet),
        now: new Date().toISOString(),
        actor: ctx.actor,
      });
      const change = sourceChange(def.identifier, before, await storedIn(tx, def.identifier));
      return { result: change, events: adminChange('source', def.identifier, ctx, change.before, change.after) };
    });
  }

  /**
   * The checked definition of a create (`identifier` null) or replace, and the stored one it
   * replaces: a PUT of what GET returned (which never holds secrets) keeps the stored secrets.
   */
  async function prepareSave(
    identifier: string | null,
    raw: unknown,
  ): Promise<{ def: Required<SourceDefinition>; current: StoredSource | null }> {
    if (identifier === null) {
      const { def } = check(raw);
      const [existing] = await readRows<{ source: StoredSource }>(db, loadQuery('sources/get-source'), { identifier: def.identifier });
      checkMode(def.identifier, existing?.source ?? null, 'create');
      return { def, current: null };
    }
    const { stored } = await load(identifier);
    checkMode(identifier, stored, 'replace');
    const connector = isObject(raw) && typeof raw.type === 'string' ? connectors.get(raw.type) : undefined;
    const withSecrets =
      isObject(raw) && connector && raw.type === stored.type
        ? {
            ...raw,
            config: keepSecrets(raw.config ?? {}, JSON.parse(stored.config), connector.config.secretPaths),
          }
        : raw;
    return { def: check(withSecrets, identifier).def, current: stored };
  }

  async function saveRun(run: Record<string, unknown>): Promise<void> {
    await writeRows(db, loadQuery('sources/save-run'), { run, leaseUntil: neo4j.int(Date.now() + leaseMs) });
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

  function connectorContext(sourceId: string, signal: AbortSignal): ConnectorContext {
    const log = logger.child({ source: sourceId });
    return {
      sourceId,
      http: (options = {}) => createHttpClient(options, { fetch: deps.fetch, egress, clock, logger: log, signal }),
      clock,
      logger: log,
      signal,
      baseDir,
      files,
      egress,
      reportProblem: (p) => log.warn('webhook problem', { ...p }),
    };
  }

  async function startRun(
    identifier: string,
    options: { actor: string; ctx?: WriteContext; trigger: SourceRunView['trigger']; allowMassDeletion?: boolean },
  ): Promise<SourceRunView> {
    const { stored } = await load(identifier);
    let prepared: Prepared;
    try {
      prepared = prepare(stored);
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
        await startRun(source.identifier, { actor: 'scheduler', trigger: 'schedule' });
      } catch (err) {
        // Another replica claimed it first, or the source is misconfigured: both are logged, neither is fatal.
        logger.debug('scheduled sync not started', {
          source: source.identifier,
          reason: (err as Error).message,
        });
      }
    }
  }

  async function registerConfigured(): Promise<void> {
    const env = deps.env ?? process.env;
    const problems: string[] = [];
    for (const [i, raw] of (deps.configured ?? []).entries()) {
      const missing: string[] = [];
      const filled =
        isObject(raw) && isObject(raw.config)
          ? { ...raw, config: interpolateEnv(raw.config, env, `sources[${i}].config`, missing) }
          : raw;
      if (missing.length > 0) {
        problems.push(...missing);
        continue;
      }
      try {
        const { def } = check(filled);
        // Audited as coming from the configuration; a restart with the same definition records nothing.
        await save(def, 'config', configuredContext, 'config');
      } catch (err) {
        const details =
          err instanceof ValidationError
            ? err.details.map((d) => `${d.path}: ${d.message}`).join('; ')
            : (err as Error).message;
        problems.push(`sources[${i}] (${isObject(raw) ? String(raw.identifier) : '?'}): ${details}`);
      }
    }
    // A broken source in plexus.yaml must not stop the portal; it is reported loudly instead.
    for (const p of problems) logger.error('source in plexus.yaml not registered', { problem: p });
  }

  const service: SourcesService = {
    async start() {
      for (const statement of cypherStatements('sources/create-schema.cypher')) await writeRows(db, statement);
      await registerConfigured();
      const tickMs = deps.tickMs ?? 15_000;
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
      for (const run of live.values()) run.controller.abort(new Error('the server is stopping'));
    },

    registerConnector(connector) {
      connectors.set(connector.type, connector);
    },

    connectorTypes() {
      return [...connectors.keys()].sort();
    },

    async list() {
      const rows = await readRows<{
        source: StoredSource;
        lastRun: Record<string, unknown> | null;
        entityCount: number;
      }>(db, loadQuery('sources/list-sources'), { identifier: null });
      return rows.map((r) => view(r.source, r.lastRun ? runView(r.lastRun) : null, r.entityCount));
    },

    async get(identifier) {
      const { stored, lastRun, entityCount } = await load(identifier);
      return view(stored, lastRun, entityCount);
    },

    async create(raw, ctx) {
      const { def } = await prepareSave(null, raw);
      await save(def, originOf(ctx), ctx, 'create');
      logger.info('source registered', { source: def.identifier, type: def.type, actor: ctx.actor });
      return service.get(def.identifier);
    },

    async replace(identifier, raw, ctx) {
      const { def } = await prepareSave(identifier, raw);
      await save(def, originOf(ctx), ctx, 'replace');
      return service.get(identifier);
    },

    async planSave(identifier, raw, ctx) {
      const { def, current } = await prepareSave(identifier, raw);
      const now = new Date().toISOString();
      const next: StoredSource = {
        ...(current ?? { createdAt: now }),
        ...storedForm(def, originOf(ctx), ctx.applySet),
        updatedAt: now,
      };
      return sourceChange(def.identifier, current, next);
    },

    async remove(identifier, ctx, options = {}) {
      const { stored } = await load(identifier);
      if (stored.origin === 'config')
        throw new ConflictError(`source "${identifier}" is defined in plexus.yaml; remove it there`);
      if (stored.runId && (stored.leaseUntil ?? 0) > Date.now())
        throw new ConflictError(`source "${identifier}" is syncing; wait for its run to finish`);
      if (options.dryRun) return { purged: 0, change: sourceChange(identifier, stored, null) };
      const source = `connector:${identifier}`;
      const ledger = await store.loadLedger(source);
      let purged = 0;
      const items = [...ledger.values()];
      const removal = { source, actor: ctx.actor, runId: `delete-${randomUUID()}` };
      if (options.purge) {
        for (let i = 0; i < items.length; i += 500) {
          const out = await store.removeContributions(items.slice(i, i + 500), removal);
          purged += out.deleted + out.detached;
        }
      } else {
        // The entities stay (and keep naming the source in their provenance); only the ledger goes.
        for (let i = 0; i < items.length; i += 5000) {
          await writeRows(db, loadQuery('sources/delete-ledger'), {
            source,
            keys: items.slice(i, i + 5000).map((x) => `${x.blueprint}:${x.identifier}`),
          });
        }
      }
      const change = await writeAudited(db, async (tx) => {
        const before = await storedIn(tx, identifier);
        if (!before) throw new NotFoundError(`source "${identifier}" does not exist; GET /api/v1/sources lists them`);
        await tx.run(loadQuery('sources/delete-source'), { identifier });
        const deleted = sourceChange(identifier, before, null);
        return { result: deleted, events: adminChange('source', identifier, ctx, deleted.before, null) };
      });
      logger.info('source deleted', { source: identifier, actor: ctx.actor, purged });
      return { purged, change };
    },

    sync(identifier, options) {
      return startRun(identifier, {
        actor: options.actor,
        ctx: options.ctx,
        trigger: options.trigger ?? 'manual',
        allowMassDeletion: options.allowMassDeletion,
      });
    },

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
      await load(identifier);
      const rows = await readRows<{ run: Record<string, unknown> }>(db, loadQuery('sources/list-runs'), {
        source: identifier,
        limit: neo4j.int(limit),
      });
      return rows.map((r) => runView(r.run));
    },

    async entities(identifier) {
      await load(identifier);
      const ledger = await store.loadLedger(`connector:${identifier}`);
      return [...ledger.values()]
        .map((i) => ({ blueprint: i.blueprint, identifier: i.identifier }))
        .sort((a, b) => `${a.blueprint}:${a.identifier}`.localeCompare(`${b.blueprint}:${b.identifier}`));
    },

    async waitForRun(runId) {
      const current = live.get(runId);
      if (current) return current.done;
      return finished.get(runId) ?? null;
    },

    async handleWebhook(identifier, headers, rawBody) {
      // An unknown source, one without webhooks and a bad signature get the same answer, so the
      // endpoint does not tell which sources exist.
      const refused = () =>
        new UnauthorizedError("webhook signature is missing, stale or does not match the source's secret; nothing was changed");
      let stored: StoredSource;
      try {
        stored = (await load(identifier)).stored;
      } catch {
        logger.warn('webhook for an unknown source', { source: identifier });
        throw refused();
      }
      const prepared = prepare(stored);
      const handler = prepared.connector.webhook;
      if (!handler) throw refused();
      const h = normaliseHeaders(headers);
      if (!(await handler.verify(h, rawBody, prepared.config))) {
        logger.warn('webhook signature rejected', { source: identifier });
        throw refused();
      }
      const body = rawBody.trim() === '' ? null : parseJsonText(rawBody, defaultBodyLimits, 'the webhook body');
      // Remembered before anything is applied: of two copies racing, one wins the constraint.
      const keys = (handler.replayKeys?.(h, body, prepared.config) ?? []).map((k) => `${identifier}\u0000${k}`);
      if (keys.length > 0) {
        const now = Date.now();
        try {
          await writeRows(db, loadQuery('sources/remember-deliveries'), { keys, source: identifier, now, expiresAt: now + 86_400_000 });
        } catch (err) {
          if ((err as { code?: string }).code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
            logger.warn('webhook delivery replayed', { source: identifier });
            throw new ConflictError('this webhook delivery was received before (same delivery id or signature); replays are refused and nothing was changed');
          }
          throw err;
        }
      }
      const runId = `webhook-${randomUUID()}`;
      const controller = new AbortController();
      let result: DeltaResult;
      try {
        const deltas = await handler.toDeltas(h, body, prepared.config, connectorContext(identifier, controller.signal));
        result = await applyDeltas({
          sourceId: identifier,
          deltas,
          mapping: prepared.mapping,
          store,
          runId,
          logger: logger.child({ source: identifier }),
        });
      } catch (err) {
        // Not applied: the sender's retry of this delivery must be accepted.
        if (keys.length > 0) await writeRows(db, loadQuery('sources/forget-deliveries'), { keys }).catch(() => {});
        throw err;
      }
      const summary = {
        at: new Date().toISOString(),
        runId,
        created: result.created,
        updated: result.updated,
        unchanged: result.unchanged,
        deleted: result.deleted,
        detached: result.detached,
        errors: result.errors.length,
      };
      await writeRows(db, loadQuery('sources/save-webhook'), {
        identifier,
        summary: JSON.stringify(summary),
      }).catch((err) => logger.warn('could not record a webhook delivery', { err }));
      return { ...result, runId };
    },
  };
  return service;
}
