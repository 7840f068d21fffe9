/**
 * The sync engine: runs a connector's full sync (or applies webhook deltas) through the catalog's
 * one write path, in batches, and reconciles.
 *
 * Reconciliation rests on a per-source ledger: for every entity a source has contributed to, what
 * it contributed (property names, relation targets, a hash). A full sync compares the keys it saw
 * with the ledger; the rest are stale and lose this source's contribution (entities only this
 * source fed are deleted; entities fed by others or by a person keep their other parts). A run
 * that failed, was aborted or could not read part of its source deletes nothing, and a run that
 * would delete more than `deletionThreshold` of the ledger stops and reports instead.
 *
 * Identical data writes nothing: the catalog skips entities whose content hash is unchanged, and
 * the ledger is only written where a contribution's hash changed.
 *
 * The engine never touches the database itself: a `SyncStore` does (in-process, the server's
 * sources module implements it on the catalog).
 */

import { createHash } from 'node:crypto';
import { canonicalJson } from '@plexus/contract';
import type {
  Clock,
  Connector,
  ConnectorContext,
  ConnectorLogger,
  FetchProblem,
  RawRecord,
  WebhookDeltas,
} from './contract.ts';
import { createEgressPolicy, type EgressPolicy } from './egress.ts';
import { createFilePolicy, type FilePolicy } from './file-policy.ts';
import { createHttpClient, systemClock } from './http-client.ts';
import type { CompiledMapping, MappedEntity, MappingError } from './mapping.ts';

/** What a source contributed to one entity, as remembered between runs. */
export interface LedgerItem {
  blueprint: string;
  identifier: string;
  /** Hash of the mapped entity last written by this source. */
  hash: string;
  /** Property names this source wrote (`title` included when it wrote one). */
  properties: string[];
  /** Relation targets this source wrote: `relation|target` as the mapping gave them. */
  relations: string[];
}

/** A mapped entity with its key and content hash. */
export interface Contribution {
  key: string;
  entity: MappedEntity;
  hash: string;
  /** What the ledger held for this key before the run (absent for new keys). */
  previous?: LedgerItem;
}

/** A record the catalog refused (fails the blueprint's schema, unknown blueprint...). */
export interface RejectedContribution {
  key: string;
  message: string;
  path?: string;
}

/** Write context of a sync: provenance is `connector:<source>`. */
export interface SyncWriteContext {
  source: string;
  actor: string;
  runId: string;
}

/** Outcome of writing a batch of contributions. */
export interface WriteOutcome {
  created: number;
  updated: number;
  unchanged: number;
  rejected: RejectedContribution[];
}

/** Outcome of removing contributions. */
export interface RemoveOutcome {
  /** Entities deleted (this source was their only writer). */
  deleted: number;
  /** Entities that lost this source's part but stay (another source or a person also wrote them). */
  detached: number;
}

/** The database side of a sync. */
export interface SyncStore {
  /** This source's ledger, keyed `blueprint:identifier`; `keys` limits it (webhook deltas). */
  loadLedger(source: string, keys?: string[]): Promise<Map<string, LedgerItem>>;
  /** Writes contributions through the catalog and records them in the ledger. */
  writeContributions(items: Contribution[], ctx: SyncWriteContext): Promise<WriteOutcome>;
  /** Removes this source's contribution from each entity, and the ledger items. */
  removeContributions(items: LedgerItem[], ctx: SyncWriteContext): Promise<RemoveOutcome>;
}

/** One per-record problem of a run: data, stored on the run, never an exception. */
export interface SyncRecordError {
  /** `mapping`, `validation` or `fetch`. */
  stage: 'mapping' | 'validation' | 'fetch';
  message: string;
  position?: number;
  origin?: string;
  kind?: string;
  /** Stored for the record, which was still imported (FetchProblem.warning). */
  warning?: boolean;
  field?: string;
  blueprint?: string;
  identifier?: string;
}

/** How a run ended. */
export type SyncStatus = 'succeeded' | 'partial' | 'failed' | 'aborted' | 'blocked';

/** Counts while a run goes and when it ends. */
export interface SyncCounts {
  /** Raw records read from the source. */
  records: number;
  /** Distinct entities mapped. */
  entities: number;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  detached: number;
  /** Number of per-record errors (all of them; `errors` keeps the first `maxErrors`). */
  errorCount: number;
}

/** A run's result. */
export interface SyncResult extends SyncCounts {
  status: SyncStatus;
  /** Why the run failed, was blocked or is partial. */
  message?: string;
  errors: SyncRecordError[];
  /** Entities a full sync found stale (deleted or detached, or not when blocked/failed). */
  stale: number;
  startedAt: string;
  finishedAt: string;
}

/** Progress reported after every batch. */
export interface SyncProgress extends SyncCounts {
  phase: 'fetching' | 'reconciling' | 'done';
  /** Records per second since the start. */
  rate: number;
  elapsedMs: number;
}

/** Everything a run needs. */
export interface SyncOptions<C> {
  sourceId: string;
  connector: Connector<C>;
  config: C;
  mapping: CompiledMapping;
  store: SyncStore;
  runId: string;
  logger: ConnectorLogger;
  clock?: Clock;
  signal?: AbortSignal;
  /** fetch implementation for the connector's HTTP clients (tests may pass their own). */
  fetch?: typeof fetch;
  /** Where the connector's HTTP may go. Default: public addresses only. */
  egress?: EgressPolicy;
  /** Which files the connector may read. Default: inside `baseDir` only. */
  files?: FilePolicy;
  /** Folder relative config paths resolve against. */
  baseDir?: string;
  /** Entities per catalog write. Default 500. */
  batchSize?: number;
  /** Largest share of the source's entities one full sync may delete. Default 0.9. */
  deletionThreshold?: number;
  /** Deletes past the threshold anyway (an operator confirmed the source really shrank). */
  allowMassDeletion?: boolean;
  /** Errors kept on the result (all are counted). Default 1000. */
  maxErrors?: number;
  onProgress?: (p: SyncProgress) => void;
  /** Interval of progress log lines. Default 5 s. */
  logEveryMs?: number;
}

/** The key of an entity: `blueprint:identifier`. */
export function entityKey(e: { blueprint: string; identifier: string }): string {
  return `${e.blueprint}:${e.identifier}`;
}

/** Content hash of a mapped entity: equal hash, same contribution. */
export function hashContribution(e: MappedEntity): string {
  const relations: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(e.relations)) {
    const list = v === null ? [] : Array.isArray(v) ? [...v].sort() : [v];
    if (list.length > 0) relations[k] = list;
  }
  return createHash('sha1')
    .update(
      canonicalJson({ b: e.blueprint, i: e.identifier, t: e.title ?? null, p: e.properties, r: relations }),
    )
    .digest('base64url');
}

/** The ledger item a contribution leaves. */
export function ledgerItemOf(c: Contribution): LedgerItem {
  const relations: string[] = [];
  for (const [name, v] of Object.entries(c.entity.relations)) {
    for (const t of v === null ? [] : Array.isArray(v) ? v : [v]) relations.push(`${name}|${t}`);
  }
  const properties = Object.keys(c.entity.properties);
  if (c.entity.title !== undefined && c.entity.title !== null) properties.push('title');
  return {
    blueprint: c.entity.blueprint,
    identifier: c.entity.identifier,
    hash: c.hash,
    properties: properties.sort(),
    relations: relations.sort(),
  };
}

/**
 * Combines two contributions of one source to the same entity (two records feeding one entity,
 * e.g. a group's own descriptor and a user's `memberOf`). Properties: the later wins; relation
 * targets: the union (a one-target relation given two different targets is then refused by the
 * catalog, which is the honest outcome of a conflict).
 */
export function mergeMapped(a: MappedEntity, b: MappedEntity): MappedEntity {
  const relations: MappedEntity['relations'] = { ...a.relations };
  for (const [k, v] of Object.entries(b.relations)) {
    const old = relations[k];
    if (old === undefined || old === null) {
      relations[k] = v;
      continue;
    }
    const list = [
      ...new Set([...(Array.isArray(old) ? old : [old]), ...(v === null ? [] : Array.isArray(v) ? v : [v])]),
    ];
    relations[k] = list.length === 1 && !Array.isArray(old) && !Array.isArray(v) ? list[0] : list;
  }
  return {
    blueprint: a.blueprint,
    identifier: a.identifier,
    title: b.title ?? a.title,
    properties: { ...a.properties, ...b.properties },
    relations,
  };
}

function makeContext(o: {
  sourceId: string;
  logger: ConnectorLogger;
  clock: Clock;
  signal: AbortSignal;
  fetch?: typeof fetch;
  egress?: EgressPolicy;
  files?: FilePolicy;
  baseDir?: string;
  onProblem: (p: FetchProblem) => void;
}): ConnectorContext {
  const baseDir = o.baseDir ?? process.cwd();
  const egress = o.egress ?? createEgressPolicy();
  return {
    sourceId: o.sourceId,
    http: (options = {}) =>
      createHttpClient(options, {
        fetch: o.fetch,
        egress,
        clock: o.clock,
        logger: o.logger,
        signal: o.signal,
      }),
    clock: o.clock,
    logger: o.logger,
    signal: o.signal,
    baseDir,
    files: o.files ?? createFilePolicy({ allowedRoots: [baseDir] }),
    egress,
    reportProblem: o.onProblem,
  };
}

/**
 * Runs a full sync: fetch → map → write in batches → reconcile. Never throws for a source
 * problem: the result says what happened (`failed`, `aborted`, `blocked`, `partial`).
 * @example const result = await runFullSync({ sourceId: 'docs', connector, config, mapping, store, runId, logger });
 */
export async function runFullSync<C>(options: SyncOptions<C>): Promise<SyncResult> {
  const { sourceId, connector, config, mapping, store, runId, logger } = options;
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? new AbortController().signal;
  const batchSize = options.batchSize ?? 500;
  const threshold = options.deletionThreshold ?? 0.9;
  const maxErrors = options.maxErrors ?? 1000;
  const logEvery = options.logEveryMs ?? 5000;
  const ctx: SyncWriteContext = { source: `connector:${sourceId}`, actor: `connector:${sourceId}`, runId };
  const started = clock.now();
  const startedAt = new Date(started).toISOString();
  const counts: SyncCounts = {
    records: 0,
    entities: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    detached: 0,
    errorCount: 0,
  };
  const errors: SyncRecordError[] = [];
  const addError = (e: SyncRecordError) => {
    counts.errorCount++;
    if (errors.length < maxErrors) errors.push(e);
  };
  let lastLog = started;
  const progress = (phase: SyncProgress['phase'], force = false) => {
    const now = clock.now();
    const elapsedMs = now - started;
    const p: SyncProgress = {
      ...counts,
      phase,
      elapsedMs,
      rate: elapsedMs > 0 ? Math.round((counts.records * 1000) / elapsedMs) : counts.records,
    };
    options.onProgress?.(p);
    if (force || now - lastLog >= logEvery) {
      lastLog = now;
      logger.info('sync progress', { source: sourceId, runId, ...p });
    }
  };
  const finish = (status: SyncStatus, message?: string, stale = 0): SyncResult => {
    progress('done', true);
    const result: SyncResult = {
      ...counts,
      status,
      ...(message ? { message } : {}),
      errors,
      stale,
      startedAt,
      finishedAt: new Date(clock.now()).toISOString(),
    };
    logger.info('sync finished', { source: sourceId, runId, status, message, ...counts, stale });
    return result;
  };

  if (!connector.fetch)
    return finish('failed', `a ${connector.type} source has no full sync; it is fed by webhooks only`);
  const problems: FetchProblem[] = [];
  const cctx = makeContext({
    sourceId,
    logger,
    clock,
    signal,
    fetch: options.fetch,
    egress: options.egress,
    files: options.files,
    baseDir: options.baseDir,
    onProblem: (p) => {
      // A warning is kept on the run; only parts not read make it partial.
      if (!p.warning) problems.push(p);
      addError({
        stage: 'fetch',
        message: p.message,
        ...(p.origin ? { origin: p.origin } : {}),
        ...(p.kind ? { kind: p.kind } : {}),
        ...(p.warning ? { warning: true } : {}),
      });
    },
  });

  let ledger: Map<string, LedgerItem>;
  try {
    ledger = await store.loadLedger(ctx.source);
  } catch (err) {
    return finish('failed', `could not read the source's ledger: ${(err as Error).message}`);
  }
  logger.info('sync started', { source: sourceId, runId, type: connector.type, known: ledger.size });

  // Every key this run saw (including records that failed to map or validate: a broken record
  // is not a vanished one, so its entity must not be deleted).
  const seen = new Set<string>();
  const written = new Map<string, MappedEntity>();
  let pending = new Map<string, MappedEntity>();

  const flush = async () => {
    if (pending.size === 0) return;
    const batch: Contribution[] = [...pending].map(([key, entity]) => {
      const previous = ledger.get(key);
      return { key, entity, hash: hashContribution(entity), ...(previous ? { previous } : {}) };
    });
    pending = new Map();
    const out = await store.writeContributions(batch, ctx);
    counts.created += out.created;
    counts.updated += out.updated;
    counts.unchanged += out.unchanged;
    for (const r of out.rejected) {
      const c = batch.find((b) => b.key === r.key);
      addError({
        stage: 'validation',
        message: r.message,
        ...(r.path ? { field: r.path } : {}),
        blueprint: c?.entity.blueprint,
        identifier: c?.entity.identifier,
      });
    }
    progress('fetching');
  };

  const noteMappingError = (e: MappingError) => {
    if (e.blueprint && e.identifier)
      seen.add(entityKey({ blueprint: e.blueprint, identifier: e.identifier }));
    addError({
      stage: 'mapping',
      message: e.message,
      position: e.position,
      ...(e.origin ? { origin: e.origin } : {}),
      kind: e.kind,
      field: `mappings[${e.entry}].${e.field}`,
      blueprint: e.blueprint,
      identifier: e.identifier,
    });
  };

  try {
    let position = 0;
    for await (const record of connector.fetch(config, cctx)) {
      signal.throwIfAborted();
      const { entities, errors: mapErrors } = await mapping.apply(record as RawRecord, position++);
      counts.records++;
      for (const e of mapErrors) noteMappingError(e);
      for (const entity of entities) {
        const key = entityKey(entity);
        seen.add(key);
        const earlier = pending.get(key) ?? written.get(key);
        const merged = earlier ? mergeMapped(earlier, entity) : entity;
        if (!earlier) counts.entities++;
        pending.set(key, merged);
        written.set(key, merged);
      }
      if (pending.size >= batchSize) await flush();
    }
    signal.throwIfAborted();
    await flush();
  } catch (err) {
    if (signal.aborted)
      return finish(
        'aborted',
        `the sync was cancelled: ${String((signal.reason as Error)?.message ?? signal.reason ?? 'aborted')}; nothing was deleted`,
      );
    logger.warn('sync failed', { source: sourceId, runId, error: (err as Error).message });
    return finish('failed', `${(err as Error).message}; nothing was deleted`);
  }

  const stale = [...ledger.values()].filter((item) => !seen.has(entityKey(item)));
  if (problems.length > 0) {
    return finish(
      'partial',
      `${problems.length} part(s) of the source could not be read; ${stale.length} stale entit${stale.length === 1 ? 'y was' : 'ies were'} kept until a complete run`,
      stale.length,
    );
  }
  if (stale.length === 0) return finish('succeeded');
  const share = stale.length / ledger.size;
  if (share > threshold && !options.allowMassDeletion) {
    return finish(
      'blocked',
      `this sync would delete ${stale.length} of the source's ${ledger.size} entities (${Math.round(share * 100)}%), more than the ${Math.round(threshold * 100)}% threshold; nothing was deleted. Check the source, then sync with allowMassDeletion to confirm`,
      stale.length,
    );
  }
  try {
    for (let i = 0; i < stale.length; i += batchSize) {
      signal.throwIfAborted();
      const out = await store.removeContributions(stale.slice(i, i + batchSize), ctx);
      counts.deleted += out.deleted;
      counts.detached += out.detached;
      progress('reconciling');
    }
  } catch (err) {
    return finish(
      signal.aborted ? 'aborted' : 'failed',
      `reconciliation stopped: ${(err as Error).message}`,
      stale.length,
    );
  }
  return finish('succeeded', undefined, stale.length);
}

/** Result of applying one webhook delivery. */
export interface DeltaResult {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  detached: number;
  errors: SyncRecordError[];
}

/**
 * Applies webhook deltas without a full sync: upserts go through the same write path, deletes
 * remove only what this source contributed (an entity it never wrote is left alone).
 */
export async function applyDeltas(options: {
  sourceId: string;
  deltas: WebhookDeltas;
  mapping: CompiledMapping;
  store: SyncStore;
  runId: string;
  logger: ConnectorLogger;
}): Promise<DeltaResult> {
  const { sourceId, deltas, mapping, store, runId, logger } = options;
  const ctx: SyncWriteContext = { source: `connector:${sourceId}`, actor: `connector:${sourceId}`, runId };
  const result: DeltaResult = { created: 0, updated: 0, unchanged: 0, deleted: 0, detached: 0, errors: [] };
  const mapped = new Map<string, MappedEntity>();
  let position = 0;
  for (const record of deltas.upserts) {
    const { entities, errors } = await mapping.apply(record, position++);
    for (const e of errors)
      result.errors.push({
        stage: 'mapping',
        message: e.message,
        position: e.position,
        kind: e.kind,
        field: `mappings[${e.entry}].${e.field}`,
        blueprint: e.blueprint,
        identifier: e.identifier,
      });
    for (const entity of entities) {
      const key = entityKey(entity);
      const earlier = mapped.get(key);
      mapped.set(key, earlier ? mergeMapped(earlier, entity) : entity);
    }
  }
  const deleteKeys = new Set<string>();
  for (const record of deltas.deletes) {
    const { refs, errors } = await mapping.identify(record, position++);
    for (const e of errors)
      result.errors.push({
        stage: 'mapping',
        message: e.message,
        position: e.position,
        kind: e.kind,
        field: `mappings[${e.entry}].${e.field}`,
      });
    for (const ref of refs) if (!mapped.has(entityKey(ref))) deleteKeys.add(entityKey(ref));
  }
  const ledger = await store.loadLedger(ctx.source, [...mapped.keys(), ...deleteKeys]);
  if (mapped.size > 0) {
    const batch: Contribution[] = [...mapped].map(([key, entity]) => {
      const previous = ledger.get(key);
      return { key, entity, hash: hashContribution(entity), ...(previous ? { previous } : {}) };
    });
    const out = await store.writeContributions(batch, ctx);
    result.created += out.created;
    result.updated += out.updated;
    result.unchanged += out.unchanged;
    for (const r of out.rejected)
      result.errors.push({
        stage: 'validation',
        message: r.message,
        ...(r.path ? { field: r.path } : {}),
        identifier: r.key,
      });
  }
  const toRemove = [...deleteKeys].map((k) => ledger.get(k)).filter((x): x is LedgerItem => x !== undefined);
  if (toRemove.length > 0) {
    const out = await store.removeContributions(toRemove, ctx);
    result.deleted += out.deleted;
    result.detached += out.detached;
  }
  logger.info('webhook applied', { source: sourceId, runId, ...result, errors: result.errors.length });
  return result;
}
