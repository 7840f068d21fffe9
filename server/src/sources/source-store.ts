/**
 * Registered sources in the graph (`:_Source`): loading them as the API shows them (never with
 * their secrets), saving a checked definition with its audit record in one transaction (a save
 * that changes nothing records nothing), registering `plexus.yaml`'s sources, and removing a
 * source with or without what it contributed to the catalog.
 */
import { randomUUID } from 'node:crypto';
import type { ManagedTransaction } from 'neo4j-driver';
import {
  keepSecrets,
  type MappingDocument,
  type SyncStore,
  withoutSecrets,
} from '@plexus/connector-sdk';
import { adminChange, writeAudited } from '../audit/audit.ts';
import type { WriteContext } from '@plexus/contract';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { check, type DefinitionDeps, interpolateEnv, isObject, type SourceDefinition } from './source-definitions.ts';
import { type LiveRuns, runView, type SourceRunView } from './source-runs.ts';
import type { SourcesService } from './sources-service.ts';

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

/** A source's change as audited: definitions without run state or secret values (`auditedSource`). */
export interface SourceChange {
  identifier: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A source as stored. */
export interface StoredSource {
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

/** Reads and writes registered sources: the service's registry methods, plus what the other parts need. */
export interface SourceStore
  extends Pick<SourcesService, 'list' | 'get' | 'create' | 'replace' | 'planSave' | 'remove' | 'entities'> {
  /** The stored source with its last run and entity count; 404 when there is none. */
  load(identifier: string): Promise<{ stored: StoredSource; lastRun: SourceRunView | null; entityCount: number }>;
  /** Registers `configured` (plexus.yaml); a broken one is logged, never fatal. */
  registerConfigured(configured: unknown[], env: NodeJS.ProcessEnv): Promise<void>;
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

/** Creates the store; `store` is the catalog side of syncs (ledgers), `live` this instance's runs. */
export function createSourceStore(
  deps: DefinitionDeps & { db: Db; logger: Logger; store: SyncStore; live: LiveRuns },
): SourceStore {
  const { db, logger, connectors, store, live } = deps;

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
      const { def } = check(deps, raw);
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
    return { def: check(deps, withSecrets, identifier).def, current: stored };
  }

  async function get(identifier: string): Promise<SourceView> {
    const { stored, lastRun, entityCount } = await load(identifier);
    return view(stored, lastRun, entityCount);
  }

  return {
    load,

    async list() {
      const rows = await readRows<{
        source: StoredSource;
        lastRun: Record<string, unknown> | null;
        entityCount: number;
      }>(db, loadQuery('sources/list-sources'), { identifier: null });
      return rows.map((r) => view(r.source, r.lastRun ? runView(r.lastRun) : null, r.entityCount));
    },

    get,

    async create(raw, ctx) {
      const { def } = await prepareSave(null, raw);
      await save(def, originOf(ctx), ctx, 'create');
      logger.info('source registered', { source: def.identifier, type: def.type, actor: ctx.actor });
      return get(def.identifier);
    },

    async replace(identifier, raw, ctx) {
      const { def } = await prepareSave(identifier, raw);
      await save(def, originOf(ctx), ctx, 'replace');
      return get(identifier);
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

    async entities(identifier) {
      await load(identifier);
      const ledger = await store.loadLedger(`connector:${identifier}`);
      return [...ledger.values()]
        .map((i) => ({ blueprint: i.blueprint, identifier: i.identifier }))
        .sort((a, b) => `${a.blueprint}:${a.identifier}`.localeCompare(`${b.blueprint}:${b.identifier}`));
    },

    async registerConfigured(configured, env) {
      const problems: string[] = [];
      for (const [i, raw] of configured.entries()) {
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
          const { def } = check(deps, filled);
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
    },
  };
}
