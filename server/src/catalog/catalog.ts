import {
  type Blueprint,
  type EntityChangeEvent,
  labelOf,
  type Model,
  relTypeOf,
  type StoredEntity,
  type WriteContext,
} from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import neo4j from 'neo4j-driver';
import { auditRows, recordEventsQuery } from '../audit/audit.ts';
import { type Db, databaseUnavailable, openSession, readRows, writeRows } from '../db/driver.ts';
import { checkLimit, cursorOf, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, type ErrorDetail, NotFoundError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { readCalculated } from './calculated.ts';
import { type DryRunChange, diffEntity } from './dry-run.ts';
import {
  type DesiredEntity,
  decodeEntity,
  hashEntity,
  nodeProperties,
  refKey,
  type TargetRef,
  toApiEntity,
} from './entity-codec.ts';
import type { EventBus } from './events.ts';
import { type CheckedRecord, checkMerged, checkRecords, desiredState } from './validate-entities.ts';

/** Outcome of an upsert: counts plus one status per record, in request order. */
export interface UpsertResult {
  upserted: number;
  created: number;
  updated: number;
  unchanged: number;
  results: { blueprint: string; identifier: string; status: 'created' | 'updated' | 'unchanged' }[];
  /** With `dryRun`: what the write would do to each entity, in request order (nothing was written). */
  changes?: DryRunChange[];
}

/**
 * Options of an upsert. `dryRun` runs the whole write (checks, locks, plan, every query) in
 * transactions that are rolled back instead of committed: nothing is stored, no audit record, no
 * event. `model` (dry runs only) checks against a model that is not stored yet (the blueprints an
 * apply would save first).
 */
export interface UpsertOptions {
  merge?: boolean;
  defaultBlueprint?: string;
  dryRun?: boolean;
  model?: Model;
}

/** The one write path: every write to entities goes through these functions. */
export interface Catalog {
  upsertEntities(records: unknown[], ctx: WriteContext, options?: UpsertOptions): Promise<UpsertResult>;
  deleteEntities(refs: TargetRef[], ctx: WriteContext): Promise<{ deleted: number; notFound: TargetRef[] }>;
  /** Deletes every entity of a blueprint in batches (blueprint deletion with force). */
  deleteAllOf(blueprint: string, ctx: WriteContext): Promise<number>;
  getEntity(blueprint: string, identifier: string): Promise<StoredEntity>;
  getEntities(blueprint: string, identifiers: string[]): Promise<StoredEntity[]>;
  listEntities(blueprint: string, options?: { limit?: number; cursor?: string | null }): Promise<{ entities: StoredEntity[]; next: string | null }>;
  /**
   * Provenance of entities: `blueprint:identifier` → the sources that wrote it. Entities that do not
   * exist are absent. One light query (no properties), for connectors' reconciliation.
   */
  readSources(refs: TargetRef[]): Promise<Map<string, string[]>>;
  /**
   * Takes `source` out of the provenance of entities (and their outgoing relationships) whose
   * content no longer holds anything from it. Writes no content, emits no change event.
   */
  forgetSource(refs: TargetRef[], source: string): Promise<number>;
  /**
   * Adds `ctx.source` to the provenance of entities whose content already matched what that
   * source reports (the hash skip wrote nothing, so nothing stamped it). No content, no event.
   */
  addSource(refs: TargetRef[], ctx: WriteContext): Promise<number>;
}

interface Planned {
  rec: CheckedRecord;
  desired: DesiredEntity;
  hash: string;
  before: DesiredEntity | null;
  beforeProps: Record<string, unknown> | null;
  status: 'created' | 'updated' | 'unchanged';
}

type Run = (query: string, params: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The error for a write that stopped part-way because the database went away (or the server is
 * shutting down): a 503 whose body lists the entities of the slices that committed (written or
 * already unchanged), so the client knows exactly what is stored; retrying the whole request is
 * safe (entities already stored are unchanged no-ops). Other errors are returned unchanged.
 */
function partialWrite(err: unknown, committed: Planned[], total: number): unknown {
  const unavailable = databaseUnavailable(err);
  if (!unavailable) return err;
  const list = committed
    .map((p) => ({ index: p.rec.index, blueprint: p.desired.blueprint, identifier: p.desired.identifier, status: p.status }))
    .sort((a, b) => a.index - b.index);
  return new ServiceUnavailableError(
    `the database became unavailable during the write: ${list.length} of the ${total} entities are stored (listed in "committed"), the other ${total - list.length} were not written. Retry the whole request: entities already stored are unchanged no-ops`,
    unavailable.retryAfterSeconds,
    { cause: err, extra: { committed: list, committedCount: list.length, notCommittedCount: total - list.length } },
  );
}

/** Creates the catalog module. `batchSize` bounds the rows of one UNWIND transaction. */
export function createCatalog(deps: { db: Db; models: BlueprintStore; events: EventBus; logger: Logger; batchSize?: number }): Catalog {
  const { db, models, events, logger } = deps;
  const batchSize = deps.batchSize ?? 5000;

  /**
   * Runs `work` in one transaction when it is small, else gives each query its own. `run` sends
   * its query at once and resolves with the records later, so queries sent before the first
   * answer is awaited are pipelined: Neo4j runs them in order while the next ones are encoded.
   */
  async function withWrites(rows: number, work: (run: Run) => Promise<void>): Promise<void> {
    const session = openSession(db, 'WRITE');
    try {
      if (rows <= batchSize) {
        await session.executeWrite(async (tx: ManagedTransaction) => {
          await work((q, p) => tx.run(q, p).then((res) => res.records.map((r) => r.toObject())));
        });
      } else {
        // A session runs one transaction at a time: queries queue up, each in its own.
        let queue: Promise<unknown> = Promise.resolve();
        await work((q, p) => {
          const next = queue.then(() => session.executeWrite(async (tx) => (await tx.run(q, p)).records.map((r) => r.toObject())));
          queue = next.catch(() => {});
          return next;
        });
      }
    } finally {
      await session.close();
    }
  }

  type Stored = { props: Record<string, unknown>; rels: [string, string, string][] };
  type Locked = { identifier: string; created: boolean; hash: string | null; updatedAt: string | null; props: Stored['props'] | null; rels: Stored['rels'] | null };

  /**
   * Takes the write lock of every entity of the slice and reads its state under it
   * (lock-entities.cypher, one query per blueprint, all sent before the first answer is awaited).
   * `records` are sorted by (blueprint, identifier): every writer locks in the same order.
   */
  async function lockEntities(run: Run, records: CheckedRecord[], hashes: (string | null)[]): Promise<Map<string, Locked>> {
    const byBlueprint = new Map<string, { identifier: string; hash: string | null }[]>();
    records.forEach((rec, i) => {
      const rows = byBlueprint.get(rec.blueprint.identifier) ?? [];
      rows.push({ identifier: rec.identifier, hash: hashes[i] });
      byBlueprint.set(rec.blueprint.identifier, rows);
    });
    const asked = [...byBlueprint].map(([blueprint, rows]) =>
      run(loadQuery('catalog/lock-entities', { Label: labelOf(blueprint) }), { rows, blueprint }).then((found) => ({ blueprint, found })),
    );
    const state = new Map<string, Locked>();
    for (const { blueprint, found } of await Promise.all(asked)) {
      for (const r of found as unknown as Locked[]) state.set(refKey({ blueprint, identifier: r.identifier }), r);
    }
    return state;
  }

  /**
   * What each record of a slice does, from the state read under lock: unchanged (stored hash
   * equals the record's), created (lock-entities created it bare) or updated (with its before).
   */
  function planSlice(records: CheckedRecord[], upfront: DesiredEntity[] | null, hashes: (string | null)[], state: Map<string, Locked>, merge: boolean, applySet?: string): Planned[] {
    const planned: Planned[] = [];
    const details: ErrorDetail[] = [];
    records.forEach((rec, i) => {
      const bp = rec.blueprint;
      const s = state.get(refKey({ blueprint: bp.identifier, identifier: rec.identifier }));
      if (!s) throw new Error(`lock-entities returned no row for ${bp.identifier}:${rec.identifier}`);
      if (!s.created && !s.props && upfront && applySet === undefined) {
        planned.push({ rec, desired: upfront[i], hash: hashes[i]!, before: null, beforeProps: null, status: 'unchanged' });
        return;
      }
      const prev = s.created || !s.props ? null : decodeEntity(bp, s.props, s.rels ?? []);
      const desired = upfront ? upfront[i] : desiredState(rec, prev, true);
      if (merge) details.push(...checkMerged(rec, desired));
      const hash = hashes[i] ?? hashEntity(desired);
      // Written by another apply set: taken into this one, a change (README "GitOps with apply sets").
      // An entity in no set joins it only when its content changes.
      const stored = s.props?._applySet;
      const sameSet = applySet === undefined || stored === undefined || stored === null || stored === applySet;
      const same = prev !== null && sameSet && (s.props!._hash === hash || hashEntity(prev) === hash);
      planned.push({ rec, desired, hash, before: prev, beforeProps: s.created ? null : s.props, status: same ? 'unchanged' : prev ? 'updated' : 'created' });
    });
    if (details.length > 0) throw mergeFailed(details, records.length);
    return planned;
  }

  function mergeFailed(details: ErrorDetail[], total: number): ValidationError {
    return new ValidationError(`${new Set(details.map((d) => d.index)).size} of ${total} entities are invalid after merging; nothing was written`, details);
  }

  /**
   * A merge larger than one transaction: checks every merged record against the stored state
   * before the first slice is written, so an invalid merge writes nothing (each slice checks
   * again under lock).
   */
  async function precheckMerges(records: CheckedRecord[]): Promise<void> {
    const stored = new Map<string, Stored>();
    for (const rows of chunks(records.map((r) => ({ blueprint: r.blueprint.identifier, identifier: r.identifier })), batchSize)) {
      for (const r of await readRows<TargetRef & Stored>(db, loadQuery('catalog/read-before'), { rows })) stored.set(refKey(r), r);
    }
    const details: ErrorDetail[] = [];
    for (const rec of records) {
      const b = stored.get(refKey({ blueprint: rec.blueprint.identifier, identifier: rec.identifier }));
      details.push(...checkMerged(rec, desiredState(rec, b ? decodeEntity(rec.blueprint, b.props, b.rels) : null, true)));
    }
    if (details.length > 0) throw mergeFailed(details, records.length);
  }

  /** Thrown inside a dry run's write transaction to roll it back once the write was planned and sent. */
  class RolledBack extends Error {
    constructor(readonly planned: Planned[]) {
      super('dry run: rolled back');
    }
  }

  /** Thrown inside a write transaction to roll it back: the model changed since the records were checked. */
  const modelChanged = new Error('the model changed since the records were checked');

  /**
   * Writes one slice (at most a batch) in one transaction: lock and read (one round trip), plan
   * from that state, then every write pipelined (a second round trip) and commit. The whole
   * function is what executeWrite retries on a deadlock or a transient error: it recomputes
   * everything from the state it reads, so a retry is a fresh attempt. Returns the plan and the
   * change events of the attempt that committed, or 'model changed' (nothing written) when the
   * stored model is no longer the one `records` were checked against (`modelVersion`).
   */
  async function writeSlice(
    records: CheckedRecord[],
    ctx: WriteContext,
    merge: boolean,
    modelVersion: number,
    dryRun = false,
  ): Promise<{ planned: Planned[]; events: EntityChangeEvent[] } | 'model changed'> {
    // Without merge, a record is its whole content: desired state and hash need no stored state.
    const upfront = merge ? null : records.map((r) => desiredState(r, null, false));
    const hashes = upfront ? upfront.map(hashEntity) : records.map(() => null);
    const session = openSession(db, 'WRITE');
    try {
      return await session.executeWrite(async (tx: ManagedTransaction) => {
        const run: Run = (q, p) => tx.run(q, p).then((res) => res.records.map((r) => r.toObject()));
        // Apply sets need the stored `_applySet` of every entity: no hash skip for them.
        const state = await lockEntities(run, records, ctx.applySet ? records.map(() => null) : hashes);
        const planned = planSlice(records, upfront, hashes, state, merge, ctx.applySet);
        const changed = planned.filter((p) => p.status !== 'unchanged');
        if (changed.length === 0) {
          if (dryRun) throw new RolledBack(planned);
          return { planned, events: [] };
        }
        // After every stored change of these entities (their locks are held): an entity's events
        // are ordered by time as they were committed, even across servers whose clocks differ.
        let latest = Date.now();
        for (const s of state.values()) if (s.updatedAt) latest = Math.max(latest, Date.parse(s.updatedAt) + 1);
        const writing = writeChanges(run, changed, ctx, new Date(latest).toISOString());
        // Sent with the writes (no extra round trip), answered just before the commit: the
        // records must have been checked against the stored model, else the transaction rolls
        // back (a blueprint changed meanwhile, here or on another replica).
        const version = run(loadQuery('model/model-version'), {});
        version.catch(() => {});
        const events = await writing;
        const [row] = await version;
        // A dry run ends here: everything was sent and answered, nothing commits.
        if (dryRun) throw new RolledBack(planned);
        if (((row?.version as number | undefined) ?? 0) !== modelVersion) throw modelChanged;
        return { planned, events };
      }).catch((err: unknown) => {
        if (err === modelChanged) return 'model changed' as const;
        if (err instanceof RolledBack) return { planned: err.planned, events: [] };
        throw err;
      });
    } finally {
      await session.close();
    }
  }

  /**
   * Sends the relationship changes of the batch: for updated entities, removal of every target
   * of their relations that is not desired (delete-stale-relationships.cypher, which does not
   * rely on the state read); then creation of the targets not there before, in one query per
   * (type, source blueprint, target blueprint); pairs whose target is missing become pending.
   * Resolves when every query has answered.
   */
  function writeRelations(run: Run, changed: Planned[], ctx: WriteContext, now: string): Promise<unknown> {
    const create = new Map<string, { type: string; sourceBlueprint: string; targetBlueprint: string; pairs: [string, string][] }>();
    const stale: { s: string; sb: string; types: string[]; keep: [string, string, string][] }[] = [];
    for (const p of changed) {
      const s = p.desired.identifier;
      const sb = p.desired.blueprint;
      const types: string[] = [];
      const keep: [string, string, string][] = [];
      for (const [relation, refs] of Object.entries(p.desired.relations)) {
        // The type is derived from the validated model, never from the request.
        const type = relTypeOf(relation);
        types.push(type);
        const oldKeys = new Set((p.before?.relations[relation] ?? []).map(refKey));
        for (const r of refs) {
          keep.push([type, r.blueprint, r.identifier]);
          if (oldKeys.has(refKey(r))) continue;
          const key = `${type}|${sb}|${r.blueprint}`;
          const group = create.get(key) ?? { type, sourceBlueprint: sb, targetBlueprint: r.blueprint, pairs: [] };
          group.pairs.push([s, r.identifier]);
          create.set(key, group);
        }
      }
      // An entity created in this transaction has no relationships yet.
      if (p.status === 'updated' && types.length > 0) stale.push({ s, sb, types, keep });
    }
    const base = { now, actor: ctx.actor, source: ctx.source };
    const sent: Promise<unknown>[] = [];
    for (const rows of chunks(stale, batchSize)) sent.push(run(loadQuery('catalog/delete-stale-relationships'), { rows }));
    for (const { type, sourceBlueprint, targetBlueprint, pairs: all } of create.values()) {
      const names = { Type: type, Source: labelOf(sourceBlueprint), Target: labelOf(targetBlueprint) };
      const query = loadQuery('catalog/create-relationships', names);
      for (const pairs of chunks(all, batchSize)) {
        sent.push(
          run(query, { ...base, pairs }).then(async ([row]) => {
            if ((row.linked as number) < pairs.length) {
              await run(loadQuery('catalog/create-pending', names), { ...base, type, sourceBlueprint, targetBlueprint, pairs });
            }
          }),
        );
      }
    }
    return Promise.all(sent);
  }

  async function resolvePending(run: Run, created: Planned[], now: string): Promise<void> {
    const byBlueprint = new Map<string, string[]>();
    for (const p of created) {
      const list = byBlueprint.get(p.desired.blueprint) ?? [];
      list.push(p.desired.identifier);
      byBlueprint.set(p.desired.blueprint, list);
    }
    if (byBlueprint.size === 0) return;
    // Label counts come from the count store: free when nothing is pending (bulk loads).
    const [{ pending }] = await run('MATCH (p:_Pending) RETURN count(p) AS pending', {});
    if (pending === 0) return;
    const resolved: Promise<unknown>[] = [];
    for (const [blueprint, identifiers] of byBlueprint) {
      for (const ids of chunks(identifiers, batchSize)) {
        resolved.push(run(loadQuery('catalog/resolve-pending'), { blueprint, identifiers: ids, now }));
      }
    }
    await Promise.all(resolved);
  }

  /**
   * Writes changed entities (at most a batch) in one transaction and returns their change events.
   * Every query goes out before any answer is awaited (pipelined, see withWrites); Neo4j runs them
   * in the order sent: nodes, relationships, pending relations, audit records.
   */
  async function writeChanges(run: Run, changed: Planned[], ctx: WriteContext, now: string): Promise<EntityChangeEvent[]> {
    const sent: Promise<unknown>[] = [];
    // Handled at once: a failure while the events are being built must not go unhandled.
    const send = (p: Promise<unknown>) => {
      p.catch(() => {});
      sent.push(p);
    };
    const byBlueprint = new Map<string, Planned[]>();
    for (const p of changed) {
      const list = byBlueprint.get(p.desired.blueprint);
      if (list) list.push(p);
      else byBlueprint.set(p.desired.blueprint, [p]);
    }
    for (const [blueprint, list] of byBlueprint) {
      const bp = list[0].rec.blueprint;
      for (const chunk of chunks(list, batchSize)) {
        send(run(loadQuery('catalog/write-nodes', { Label: labelOf(blueprint) }), {
          rows: chunk.map((p) => ({
            identifier: p.desired.identifier,
            title: p.desired.title,
            hash: p.hash,
            props: nodeProperties(bp, p.desired, Object.keys(p.beforeProps ?? {})),
          })),
          blueprint,
          now,
          actor: ctx.actor,
          source: ctx.source,
          runId: ctx.runId ?? null,
          applySet: ctx.applySet ?? null,
        }));
      }
    }
    send(writeRelations(run, changed, ctx, now));
    send(resolvePending(run, changed.filter((p) => p.status === 'created'), now));
    // The events and their audit records are built while Neo4j runs what was sent, a slice
    // at a time, so the event loop keeps writing the queued queries to the socket meanwhile.
    // The audit records commit with the change (or the change does not commit).
    const evts: EntityChangeEvent[] = [];
    const audit: Record<string, unknown>[] = [];
    for (const slice of chunks(changed, 1000)) {
      await new Promise((ok) => setImmediate(ok));
      const built = changeEvents(slice, ctx, now);
      evts.push(...built);
      audit.push(...auditRows(built));
    }
    for (const rows of chunks(audit, batchSize)) send(run(recordEventsQuery(), { events: rows }));
    await Promise.all(sent);
    return evts;
  }

  /** The change events of written entities: before and after in the API's form. */
  function changeEvents(changed: Planned[], ctx: WriteContext, now: string): EntityChangeEvent[] {
    return changed.map((p) => {
      const bp = p.rec.blueprint;
      return {
        type: p.status === 'created' ? 'entity.created' : 'entity.updated',
        blueprint: bp.identifier,
        identifier: p.desired.identifier,
        before: p.before ? toApiEntity(bp, p.before, p.beforeProps ?? undefined) : null,
        after: toApiEntity(bp, p.desired, {
          _createdAt: p.beforeProps?._createdAt ?? now,
          _createdBy: p.beforeProps?._createdBy ?? ctx.actor,
          _updatedAt: now,
          _updatedBy: ctx.actor,
          _sources: [...new Set([...((p.beforeProps?._sources as string[]) ?? []), ctx.source])],
          _applySet: ctx.applySet ?? p.beforeProps?._applySet,
        }),
        actor: ctx.actor,
        source: ctx.source,
        runId: ctx.runId,
        at: now,
      };
    });
  }

  /** The answer of a dry run: counts, statuses and the field-level change of every entity. */
  function dryRunResult(planned: Planned[], applySet: string | undefined): UpsertResult {
    planned.sort((a, b) => a.rec.index - b.rec.index);
    const count = (s: Planned['status']) => planned.filter((p) => p.status === s).length;
    const op = { created: 'create', updated: 'update', unchanged: 'unchanged' } as const;
    return {
      upserted: planned.length,
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      results: planned.map((p) => ({ blueprint: p.desired.blueprint, identifier: p.desired.identifier, status: p.status })),
      changes: planned.map((p) => {
        const bp = p.rec.blueprint;
        const change: DryRunChange = { op: op[p.status], kind: 'entity', blueprint: p.desired.blueprint, identifier: p.desired.identifier };
        if (p.status !== 'unchanged') {
          const fields = diffEntity(p.before ? toApiEntity(bp, p.before) : null, toApiEntity(bp, p.desired));
          if (applySet !== undefined && (p.beforeProps?._applySet ?? null) !== applySet) {
            // Recorded with the write: a new entity, a changed one, or one another set wrote.
            fields['meta.applySet'] = { before: p.beforeProps?._applySet ?? null, after: applySet };
          }
          change.fields = fields;
        }
        return change;
      }),
    };
  }

  async function withCalculated(bp: Blueprint, entities: StoredEntity[]): Promise<StoredEntity[]> {
    if (!bp.calculated || Object.keys(bp.calculated).length === 0) return entities;
    const values = await readCalculated(db, bp, entities.map((e) => e.identifier), logger);
    return entities.map((e) => ({ ...e, calculated: values.get(e.identifier) ?? {} }));
  }

  const catalog: Catalog = {
    async upsertEntities(records, ctx, options = {}) {
      const merge = options.merge ?? false;
      const dryRun = options.dryRun ?? false;
      if (options.model && !dryRun) throw new Error('a model other than the stored one is for dry runs only');
      // Checks the records against the model as it is now. They are written in request order (a
      // sender that puts targets before the entities pointing at them gets no pending relations),
      // a slice per transaction, each slice sorted in lock order: (blueprint, identifier) for every
      // writer, see lock-entities.cypher. A request holds the locks of one slice at a time.
      const check = () => {
        const version = models.version();
        const checked = checkRecords(options.model ?? models.current(), records, { merge, defaultBlueprint: options.defaultBlueprint });
        const details = checked.details;
        const firstAt = new Map<string, number>();
        for (const rec of checked.records) {
          const key = `${rec.blueprint.identifier}:${rec.identifier}`;
          const first = firstAt.get(key);
          if (first !== undefined) {
            details.push({ index: rec.index, identifier: rec.identifier, message: `entity ${key} appears twice in the request (first at index ${first})` });
          } else firstAt.set(key, rec.index);
        }
        return { version, details, records: checked.records };
      };
      const invalid = (details: ErrorDetail[]) => {
        details.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
        const bad = new Set(details.map((d) => d.index)).size;
        return new ValidationError(`${bad} of ${records.length} entities are invalid; nothing was written`, details);
      };
      let checked = check();
      if (checked.details.some((d) => d.message.startsWith('unknown blueprint')) && (await models.refresh())) checked = check();
      if (checked.details.length > 0) throw invalid(checked.details);
      if (merge && checked.records.length > batchSize) await precheckMerges(checked.records);
      // A request larger than a batch is written a slice at a time: each slice is one transaction
      // that locks, reads and writes its entities, relationships and audit records, and its
      // events go out once it committed.
      const planned: Planned[] = [];
      let changed = 0;
      for (let start = 0, changes = 0; start < checked.records.length; ) {
        const slice = checked.records.slice(start, start + batchSize).sort((a, b) => compare(a.blueprint.identifier, b.blueprint.identifier) || compare(a.identifier, b.identifier));
        let written: Awaited<ReturnType<typeof writeSlice>>;
        try {
          written = await writeSlice(slice, ctx, merge, checked.version, dryRun);
        } catch (err) {
          throw partialWrite(err, planned, records.length);
        }
        if (written === 'model changed') {
          // Checked against a model that changed before the slice committed (another request or
          // another replica): nothing of the slice was written; check again against the new one.
          if (++changes > 5) throw new ConflictError('the blueprints changed during the write five times in a row; try again');
          await models.refresh();
          checked = check();
          if (checked.details.length > 0) throw invalid(checked.details);
          continue;
        }
        planned.push(...written.planned);
        changed += written.events.length;
        if (!dryRun) events.emit(written.events);
        start += batchSize;
      }
      if (dryRun) return dryRunResult(planned, ctx.applySet);
      const count = (s: Planned['status']) => planned.filter((p) => p.status === s).length;
      const result: UpsertResult = {
        upserted: planned.length,
        created: count('created'),
        updated: count('updated'),
        unchanged: count('unchanged'),
        results: planned
          .sort((a, b) => a.rec.index - b.rec.index)
          .map((p) => ({ blueprint: p.desired.blueprint, identifier: p.desired.identifier, status: p.status })),
      };
      if (changed > 0) logger.debug('entities upserted', { ...result, results: undefined, actor: ctx.actor, source: ctx.source });
      // Written with ?runId=<action run>: the run lists them as affected (docs/actions.md). Sync runs are not action runs.
      if (ctx.runId && !ctx.source.startsWith('connector:') && result.results.length > 0) {
        await writeRows(db, loadQuery('actions/link-affected'), { runId: ctx.runId, refs: result.results.map(({ blueprint, identifier }) => ({ blueprint, identifier })) });
      }
      return result;
    },

    async deleteEntities(refs, ctx) {
      const model = models.current();
      const byBlueprint = new Map<string, string[]>();
      for (const r of refs) {
        if (!model.has(r.blueprint)) throw new NotFoundError(`blueprint "${r.blueprint}" does not exist`);
        byBlueprint.set(r.blueprint, [...(byBlueprint.get(r.blueprint) ?? []), r.identifier]);
      }
      const evts: EntityChangeEvent[] = [];
      const notFound: TargetRef[] = [];
      const now = new Date().toISOString();
      let deleted = 0;
      for (const [blueprint, identifiers] of byBlueprint) {
        const before = await catalog.getEntities(blueprint, identifiers);
        const found = new Set(before.map((e) => e.identifier));
        for (const id of identifiers) if (!found.has(id)) notFound.push({ blueprint, identifier: id });
        const mine: EntityChangeEvent[] = before.map((e) => ({
          type: 'entity.deleted',
          blueprint,
          identifier: e.identifier,
          before: e,
          after: null,
          actor: ctx.actor,
          source: ctx.source,
          runId: ctx.runId,
          at: now,
        }));
        await withWrites(before.length, async (run) => {
          for (const ids of chunks([...found], batchSize)) {
            const [row] = await run(loadQuery('catalog/delete-entities'), { identifiers: ids, blueprint });
            deleted += row.deleted as number;
          }
          for (const rows of chunks(auditRows(mine), batchSize)) await run(recordEventsQuery(), { events: rows });
        });
        evts.push(...mine);
      }
      events.emit(evts);
      return { deleted, notFound };
    },

    async deleteAllOf(blueprint, ctx) {
      let total = 0;
      for (;;) {
        const page = await readRows<{ id: string }>(db, loadQuery('catalog/list-identifiers', { Label: labelOf(blueprint) }), {
          limit: neo4j.int(batchSize),
        });
        if (page.length === 0) return total;
        const { deleted } = await catalog.deleteEntities(page.map((r) => ({ blueprint, identifier: r.id })), ctx);
        total += deleted;
      }
    },

    async getEntity(blueprint, identifier) {
      const [e] = await catalog.getEntities(blueprint, [identifier]);
      if (!e) throw new NotFoundError(`entity "${identifier}" of blueprint "${blueprint}" does not exist`);
      return e;
    },

    async getEntities(blueprint, identifiers) {
      const bp = models.require(blueprint);
      const rows = await readRows<{ props: Record<string, unknown>; rels: [string, string, string][] }>(
        db,
        loadQuery('catalog/read-entities'),
        { identifiers, blueprint },
      );
      return withCalculated(bp, rows.map((r) => toApiEntity(bp, decodeEntity(bp, r.props, r.rels), r.props)));
    },

    async listEntities(blueprint, options = {}) {
      const bp = models.require(blueprint);
      const limit = checkLimit(options.limit, 100);
      const after = options.cursor ? parseCursor(options.cursor) : '';
      const rows = await readRows<{ props: Record<string, unknown>; rels: [string, string, string][] }>(
        db,
        loadQuery('catalog/list-entities', { Label: labelOf(blueprint) }),
        { after, limit: neo4j.int(limit + 1) },
      );
      const page = await withCalculated(bp, rows.slice(0, limit).map((r) => toApiEntity(bp, decodeEntity(bp, r.props, r.rels), r.props)));
      const next = rows.length > limit ? cursorOf(page[page.length - 1].identifier) : null;
      return { entities: page, next };
    },

    async readSources(refs) {
      const out = new Map<string, string[]>();
      for (const chunk of chunks(refs, batchSize)) {
        const rows = await readRows<{ blueprint: string; identifier: string; sources: string[] }>(db, loadQuery('catalog/read-sources'), { refs: chunk });
        for (const r of rows) out.set(refKey(r), r.sources);
      }
      return out;
    },

    async addSource(refs, ctx) {
      let total = 0;
      for (const chunk of chunks(refs, batchSize)) {
        await withWrites(chunk.length, async (run) => {
          const [row] = await run(loadQuery('catalog/add-source'), { refs: chunk, source: ctx.source, runId: ctx.runId ?? null });
          total += row.stamped as number;
        });
      }
      return total;
    },

    async forgetSource(refs, source) {
      let total = 0;
      for (const chunk of chunks(refs, batchSize)) {
        await withWrites(chunk.length, async (run) => {
          const [row] = await run(loadQuery('catalog/forget-source'), { refs: chunk, source });
          total += row.forgotten as number;
        });
      }
      return total;
    },
  };
  return catalog;
}
