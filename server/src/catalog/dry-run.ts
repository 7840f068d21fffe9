/**
 * The answer of a dry run (`?dryRun=true` on every write endpoint, docs/api.md "Dry runs"): what
 * the write would do, object by object, with the fields it would change. Computed from the same
 * before/after states the real write uses; nothing here reads or writes the database.
 */

import { canonicalJson } from '@plexus/contract';

/** One field a write would change. For relations, the targets it would add and remove. */
export interface FieldChange {
  before: unknown;
  after: unknown;
  added?: string[];
  removed?: string[];
}

/** What a write would do to one object. */
export interface DryRunChange {
  op: 'create' | 'update' | 'delete' | 'unchanged';
  kind: 'entity' | 'blueprint' | 'scorecard' | 'source' | 'action';
  identifier: string;
  /** Entities only. */
  blueprint?: string;
  /** `properties.tier`, `relations.ownedBy`, `schema.properties.tier.maximum`: dotted paths, leaves only. */
  fields?: Record<string, FieldChange>;
}

/** The body of a dry-run answer. */
export interface DryRunResult {
  dryRun: true;
  changes: DryRunChange[];
}

/** True when the query string asks for a dry run (`?dryRun=true` or `?dryRun=1`). */
export function isDryRun(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The leaves that differ between two JSON values, by dotted path (objects are walked, arrays and
 * scalars are leaves). `undefined` and `null` are the same (a field that is absent).
 */
export function diffFields(
  before: unknown,
  after: unknown,
  prefix = '',
  out: Record<string, FieldChange> = {},
): Record<string, FieldChange> {
  const absent = (v: unknown) => v === null || v === undefined;
  if (
    (isPlain(before) || absent(before)) &&
    (isPlain(after) || absent(after)) &&
    !(absent(before) && absent(after))
  ) {
    // A missing object is walked as an empty one: a new object is listed leaf by leaf.
    const b = (before ?? {}) as Record<string, unknown>;
    const a = (after ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      diffFields(b[key], a[key], prefix ? `${prefix}.${key}` : key, out);
    }
    return out;
  }
  const b = before ?? null;
  const a = after ?? null;
  if (canonicalJson(b) !== canonicalJson(a)) out[prefix] = { before: b, after: a };
  return out;
}

/** An entity in the API's form, as far as a diff looks at it. */
interface EntityView {
  identifier: string;
  blueprint: string;
  title?: string | null;
  properties: Record<string, unknown>;
  relations: Record<string, string | string[] | null>;
}

const targets = (v: string | string[] | null | undefined): string[] =>
  v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];

/** The fields an entity write changes: title, each property, each relation with its added and removed targets. */
export function diffEntity(before: EntityView | null, after: EntityView): Record<string, FieldChange> {
  const fields: Record<string, FieldChange> = {};
  if ((before?.title ?? null) !== (after.title ?? null))
    fields.title = { before: before?.title ?? null, after: after.title ?? null };
  const props = new Set([...Object.keys(before?.properties ?? {}), ...Object.keys(after.properties)]);
  for (const key of [...props].sort()) {
    const b = before?.properties[key] ?? null;
    const a = after.properties[key] ?? null;
    if (canonicalJson(b) !== canonicalJson(a)) fields[`properties.${key}`] = { before: b, after: a };
  }
  const rels = new Set([...Object.keys(before?.relations ?? {}), ...Object.keys(after.relations)]);
  for (const key of [...rels].sort()) {
    const b = targets(before?.relations[key]);
    const a = targets(after.relations[key]);
    const added = a.filter((t) => !b.includes(t));
    const removed = b.filter((t) => !a.includes(t));
    if (added.length > 0 || removed.length > 0) {
      fields[`relations.${key}`] = {
        before: before?.relations[key] ?? null,
        after: after.relations[key] ?? null,
        added,
        removed,
      };
    }
  }
  return fields;
}

/**
 * The change of one definition (blueprint, scorecard, source, action) from its stored form to the
 * form it would be stored in. `ignore` lists top-level keys the server keeps (timestamps, status).
 */
export function definitionChange(
  kind: Exclude<DryRunChange['kind'], 'entity'>,
  identifier: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  ignore: string[] = ['createdAt', 'updatedAt', 'createdBy', 'updatedBy', 'status'],
): DryRunChange {
  if (!after) return { op: 'delete', kind, identifier };
  const strip = (o: Record<string, unknown> | null) =>
    o ? Object.fromEntries(Object.entries(o).filter(([k]) => !ignore.includes(k))) : {};
  const fields = diffFields(strip(before), strip(after));
  if (!before) return { op: 'create', kind, identifier, fields };
  return Object.keys(fields).length === 0
    ? { op: 'unchanged', kind, identifier }
    : { op: 'update', kind, identifier, fields };
}
