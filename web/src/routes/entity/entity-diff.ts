/** One field that differs between two snapshots of an entity. */
export interface FieldChange {
  /** `title`, `properties.<name>`, `relations.<name>`, `meta.sources`, or another top-level key. */
  path: string;
  /** What the field is: the section and the name within it. */
  section: 'title' | 'properties' | 'relations' | 'sources' | 'other';
  name: string;
  kind: 'added' | 'removed' | 'changed';
  /** undefined when the field was absent (or null) on that side. */
  before: unknown;
  after: unknown;
}

type Snapshot = Record<string, unknown> | null | undefined;

const sectionOrder: FieldChange['section'][] = ['title', 'properties', 'relations', 'sources', 'other'];
// Who and when are the audit event's own columns; repeating them as changed fields is noise.
const ignored = new Set(['identifier', 'blueprint', 'meta']);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// As the property view shows them: no value, an empty string and an empty list all read "—".
const absent = (v: unknown) =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** Equality of JSON values, ignoring the order of object keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
    );
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

/** Fields of a snapshot, flattened one level into properties and relations. */
function fieldsOf(
  s: Snapshot,
): Map<string, { section: FieldChange['section']; name: string; value: unknown }> {
  const out = new Map<string, { section: FieldChange['section']; name: string; value: unknown }>();
  if (!s) return out;
  for (const [key, value] of Object.entries(s)) {
    if (key === 'title') out.set('title', { section: 'title', name: 'title', value });
    else if ((key === 'properties' || key === 'relations') && isRecord(value)) {
      for (const [name, v] of Object.entries(value))
        out.set(`${key}.${name}`, { section: key, name, value: v });
    } else if (!ignored.has(key)) out.set(key, { section: 'other', name: key, value });
  }
  const sources = isRecord(s.meta) ? s.meta.sources : undefined;
  if (Array.isArray(sources))
    out.set('meta.sources', { section: 'sources', name: 'sources', value: sources });
  return out;
}

/**
 * The fields that differ between an entity's snapshot before and after a change (audit
 * `before`/`after`): title, each property, each relation, its sources. A created entity has
 * every set field added, a deleted one every field removed. Null, empty and absent count as the same.
 * @example diffSnapshots({ properties: { tier: 1 } }, { properties: { tier: 2 } })
 *   // [{ path: 'properties.tier', kind: 'changed', before: 1, after: 2, ... }]
 */
export function diffSnapshots(before: unknown, after: unknown): FieldChange[] {
  const a = fieldsOf(isRecord(before) ? before : null);
  const b = fieldsOf(isRecord(after) ? after : null);
  const changes: FieldChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const was = a.get(path);
    const now = b.get(path);
    if (sameValue(was?.value, now?.value)) continue;
    const field = (now ?? was)!;
    changes.push({
      path,
      section: field.section,
      name: field.name,
      kind: absent(was?.value) ? 'added' : absent(now?.value) ? 'removed' : 'changed',
      before: absent(was?.value) ? undefined : was!.value,
      after: absent(now?.value) ? undefined : now!.value,
    });
  }
  // Sections in a fixed order; within one, the order the snapshots list the fields.
  return changes.sort((x, y) => sectionOrder.indexOf(x.section) - sectionOrder.indexOf(y.section));
}
