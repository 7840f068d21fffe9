/**
 * Planning a write batch: the write lock of every entity of a slice is taken and its state read
 * under it (lock-entities.cypher), then each record is planned as created, updated (with its
 * before) or unchanged (its stored hash equals the record's). Merges are checked against the
 * merged state, and a merge larger than one transaction is checked in full before anything is
 * written.
 */
import { type Db, readRows } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import { type ErrorDetail, ValidationError } from '../errors.ts';
import { labelOf } from '@plexus/contract';
import { type DesiredEntity, decodeEntity, hashEntity, refKey, type TargetRef } from './entity-codec.ts';
import { type CheckedRecord, checkMerged, desiredState } from './validate-entities.ts';
import { chunks, type Run } from './write-transactions.ts';

/** What the write does to one record, from the state read under lock. */
export interface Planned {
  rec: CheckedRecord;
  desired: DesiredEntity;
  hash: string;
  before: DesiredEntity | null;
  beforeProps: Record<string, unknown> | null;
  status: 'created' | 'updated' | 'unchanged';
}

type Stored = { props: Record<string, unknown>; rels: [string, string, string][] };

/** An entity's state as lock-entities.cypher reads it (`created`: it made the node, bare). */
export type Locked = { identifier: string; created: boolean; hash: string | null; updatedAt: string | null; props: Stored['props'] | null; rels: Stored['rels'] | null };

/**
 * Takes the write lock of every entity of the slice and reads its state under it
 * (lock-entities.cypher, one query per blueprint, all sent before the first answer is awaited).
 * `records` are sorted by (blueprint, identifier): every writer locks in the same order.
 */
export async function lockEntities(run: Run, records: CheckedRecord[], hashes: (string | null)[]): Promise<Map<string, Locked>> {
  const byBlueprint = new Map<string, { identifier: string; hash: string | null }[]>();
  records.forEach((rec, i) => {
    const rows = byBlueprint.get(rec.blueprint.identifier) ?? [];
    rows.push({ identifier: rec.identifier, hash: hashes[i] });
    byBlueprint.set(rec.blueprint.identifier, rows);
  });
  const asked = [...byBlueprint].map(([blueprint, rows]) =>
    run(loadQuery('catalog/lock-entities', { label: cypherName(labelOf(blueprint)) }), { rows, blueprint }).then((found) => ({ blueprint, found })),
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
export function planSlice(records: CheckedRecord[], upfront: DesiredEntity[] | null, hashes: (string | null)[], state: Map<string, Locked>, merge: boolean, applySet?: string): Planned[] {
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
export async function precheckMerges(deps: { db: Db; batchSize: number }, records: CheckedRecord[]): Promise<void> {
  const stored = new Map<string, Stored>();
  for (const rows of chunks(records.map((r) => ({ blueprint: r.blueprint.identifier, identifier: r.identifier })), deps.batchSize)) {
    for (const r of await readRows<TargetRef & Stored>(deps.db, loadQuery('catalog/read-before'), { rows })) stored.set(refKey(r), r);
  }
  const details: ErrorDetail[] = [];
  for (const rec of records) {
    const b = stored.get(refKey({ blueprint: rec.blueprint.identifier, identifier: rec.identifier }));
    details.push(...checkMerged(rec, desiredState(rec, b ? decodeEntity(rec.blueprint, b.props, b.rels) : null, true)));
  }
  if (details.length > 0) throw mergeFailed(details, records.length);
}
