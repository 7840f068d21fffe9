/**
 * Writing one batch: a slice of records in one transaction that locks and reads (plan-batch.ts),
 * then sends every write pipelined (nodes, relationships, pending relations, audit records) and
 * commits only when the records were checked against the stored model. A dry run does all of it
 * and rolls back. Returns what was planned and the change events of what committed.
 */
import type { ManagedTransaction } from 'neo4j-driver';
import { auditRows, recordEventsQuery } from '../audit/audit.ts';
import { type Db, openSession } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import { labelOf, type Model, relTypeOf, targetsOf } from '@plexus/contract';
import { hashEntity, nodeProperties, refKey, toApiEntity } from './entity-codec.ts';
import type { EntityChangeEvent, WriteContext } from '@plexus/contract';
import { lockEntities, type Planned, planSlice } from './plan-batch.ts';
import { type CheckedRecord, desiredState } from './validate-entities.ts';
import { chunks, type Run } from './write-transactions.ts';

/** Thrown inside a dry run's write transaction to roll it back once the write was planned and sent. */
class RolledBack extends Error {
  constructor(readonly planned: Planned[]) {
    super('dry run: rolled back');
  }
}

/** Thrown inside a write transaction to roll it back: the model changed since the records were checked. */
const modelChanged = new Error('the model changed since the records were checked');

/**
 * The blueprints a write of `blueprints`' records depends on, with when each was saved in
 * `model` (`BlueprintStore.savedStamps`): the records' own blueprints, the targets of their
 * relations (labels of the relationships written), and every blueprint with a relation to one of
 * them (its pending relations to a created entity are resolved by the write). A blueprint missing from `saved`
 * (a dry run against a proposed model) gets '', which no stored blueprint has.
 */
export function modelDependencies(model: Model, saved: ReadonlyMap<string, string>, blueprints: Iterable<string>): Map<string, string> {
  const own = new Set(blueprints);
  const out = new Map<string, string>();
  const add = (id: string) => out.set(id, saved.get(id) ?? '');
  for (const bp of model.values()) {
    const targets = Object.values(bp.relations ?? {}).flatMap((rel) => targetsOf(rel));
    if (own.has(bp.identifier)) {
      add(bp.identifier);
      for (const t of targets) add(t);
    } else if (targets.some((t) => own.has(t))) add(bp.identifier);
  }
  return out;
}

/**
 * Writes one slice (at most a batch) in one transaction: lock and read (one round trip), plan
 * from that state, then every write pipelined (a second round trip) and commit. The whole
 * function is what executeWrite retries on a deadlock or a transient error: it recomputes
 * everything from the state it reads, so a retry is a fresh attempt. Returns the plan and the
 * change events of the attempt that committed, or 'model changed' (nothing written) when a
 * blueprint the records were checked against was saved or deleted since (`dependsOn`: blueprint
 * → when it was saved in the checked model, from `modelDependencies`). A change of any
 * other blueprint (one added under load, say) does not roll the write back.
 */
export async function writeSlice(
  deps: { db: Db; batchSize: number },
  records: CheckedRecord[],
  ctx: WriteContext,
  merge: boolean,
  dependsOn: ReadonlyMap<string, string>,
  dryRun = false,
): Promise<{ planned: Planned[]; events: EntityChangeEvent[] } | 'model changed'> {
  // Without merge, a record is its whole content: desired state and hash need no stored state.
  const upfront = merge ? null : records.map((r) => desiredState(r, null, false));
  const hashes = upfront ? upfront.map(hashEntity) : records.map(() => null);
  const session = openSession(deps.db, 'WRITE');
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
      const writing = writeChanges(deps.batchSize, run, changed, ctx, new Date(latest).toISOString());
      // Sent with the writes (no extra round trip), answered just before the commit: the
      // records must have been checked against the stored blueprints they depend on, else the
      // transaction rolls back (one of them changed meanwhile, here or on another replica).
      const versions = run(loadQuery('model/blueprint-versions'), { identifiers: [...dependsOn.keys()] });
      versions.catch(() => {});
      const events = await writing;
      const stored = await versions;
      // A dry run ends here: everything was sent and answered, nothing commits.
      if (dryRun) throw new RolledBack(planned);
      if (stored.some((row) => row.saved !== dependsOn.get(row.identifier as string))) throw modelChanged;
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
function writeRelations(batchSize: number, run: Run, changed: Planned[], ctx: WriteContext, now: string): Promise<unknown> {
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
    const query = loadQuery('catalog/create-relationships', { type: cypherName(type) });
    for (const pairs of chunks(all, batchSize)) {
      sent.push(
        run(query, { ...base, sourceBlueprint, targetBlueprint, pairs }).then(async ([row]) => {
          if ((row.linked as number) < pairs.length) {
            await run(loadQuery('catalog/create-pending'), { ...base, type, sourceBlueprint, targetBlueprint, pairs });
          }
        }),
      );
    }
  }
  return Promise.all(sent);
}

async function resolvePending(batchSize: number, run: Run, created: Planned[], now: string): Promise<void> {
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
async function writeChanges(batchSize: number, run: Run, changed: Planned[], ctx: WriteContext, now: string): Promise<EntityChangeEvent[]> {
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
      send(run(loadQuery('catalog/write-nodes', { label: cypherName(labelOf(blueprint)) }), {
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
  send(writeRelations(batchSize, run, changed, ctx, now));
  send(resolvePending(batchSize, run, changed.filter((p) => p.status === 'created'), now));
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
