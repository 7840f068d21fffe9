/**
 * Upserting entities, the one write path: every record of the request is checked against the
 * model before any is written; then the records are written a slice per transaction
 * (write-batch.ts), each slice's events emitted once it committed; a model change meanwhile
 * re-checks, a database gone away mid-write answers 503 with what committed, and a dry run
 * answers what the write would change.
 */
import { databaseUnavailable, type Db, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, type ErrorDetail, ServiceUnavailableError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { Catalog, UpsertResult } from './catalog.ts';
import { diffEntity, type DryRunChange } from './dry-run.ts';
import { toApiEntity } from './entity-codec.ts';
import type { WriteContext } from '@plexus/contract';
import type { EventBus } from './events.ts';
import { type Planned, precheckMerges } from './plan-batch.ts';
import { checkRecords } from './validate-entities.ts';
import { modelDependencies, writeSlice } from './write-batch.ts';

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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

/** Creates `upsertEntities`; `batchSize` bounds the records of one transaction. */
export function createUpsert(deps: {
  db: Db;
  models: BlueprintStore;
  events: EventBus;
  logger: Logger;
  batchSize: number;
}): Catalog['upsertEntities'] {
  const { db, models, events, logger, batchSize } = deps;
  return async function upsertEntities(records, ctx: WriteContext, options = {}) {
    const merge = options.merge ?? false;
    const dryRun = options.dryRun ?? false;
    if (options.model && !dryRun) throw new Error('a model other than the stored one is for dry runs only');
    // Checks the records against the model as it is now. They are written in request order (a
    // sender that puts targets before the entities pointing at them gets no pending relations),
    // a slice per transaction, each slice sorted in lock order: (blueprint, identifier) for every
    // writer, see lock-entities.cypher. A request holds the locks of one slice at a time.
    const check = () => {
      const model = options.model ?? models.current();
      const checked = checkRecords(model, records, { merge, defaultBlueprint: options.defaultBlueprint });
      const details = checked.details;
      const firstAt = new Map<string, number>();
      for (const rec of checked.records) {
        const key = `${rec.blueprint.identifier}:${rec.identifier}`;
        const first = firstAt.get(key);
        if (first !== undefined) {
          details.push({ index: rec.index, identifier: rec.identifier, message: `entity ${key} appears twice in the request (first at index ${first})` });
        } else firstAt.set(key, rec.index);
      }
      const dependsOn = modelDependencies(model, models.savedStamps(), new Set(checked.records.map((r) => r.blueprint.identifier)));
      return { dependsOn, details, records: checked.records };
    };
    const invalid = (details: ErrorDetail[]) => {
      details.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      const bad = new Set(details.map((d) => d.index)).size;
      return new ValidationError(`${bad} of ${records.length} entities are invalid; nothing was written`, details);
    };
    let checked = check();
    if (checked.details.some((d) => d.message.startsWith('unknown blueprint')) && (await models.refresh())) checked = check();
    if (checked.details.length > 0) throw invalid(checked.details);
    if (merge && checked.records.length > batchSize) await precheckMerges(deps, checked.records);
    // A request larger than a batch is written a slice at a time: each slice is one transaction
    // that locks, reads and writes its entities, relationships and audit records, and its
    // events go out once it committed.
    const planned: Planned[] = [];
    let changed = 0;
    for (let start = 0, changes = 0; start < checked.records.length; ) {
      const slice = checked.records.slice(start, start + batchSize).sort((a, b) => compare(a.blueprint.identifier, b.blueprint.identifier) || compare(a.identifier, b.identifier));
      let written: Awaited<ReturnType<typeof writeSlice>>;
      try {
        written = await writeSlice(deps, slice, ctx, merge, checked.dependsOn, dryRun);
      } catch (err) {
        throw partialWrite(err, planned, records.length);
      }
      if (written === 'model changed') {
        // Checked against blueprints that changed before the slice committed (another request or
        // another replica): nothing of the slice was written; check again against the new model.
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
  };
}
