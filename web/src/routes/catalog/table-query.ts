/**
 * The catalog table's state (a view definition) and its translation to one GraphQL request:
 * the page of rows (`<plural>(where, sort, limit, offset)`) and the total
 * (`<plural>Connection(where) { totalCount }`). Pure functions, so the rules are unit-tested
 * and the same definition drives the table, the URL and saved views.
 */
import { inverseFieldOf, labelOf, pluralFieldOf, targetsOf } from '../../api/names.ts';
import type { Blueprint, PropertySchema } from '../../api/types.ts';

/** Comparison a filter applies; which ones a column offers depends on its kind and type. */
export type FilterOp =
  | 'contains'
  | 'eq'
  | 'neq'
  | 'startsWith'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'includes'
  | 'is'
  | 'isNot'
  | 'any'
  | 'none';

/** One filter of a view. Relation filters hold a `blueprint:identifier` value. */
export interface ViewFilter {
  field: string;
  op: FilterOp;
  value?: string | number | boolean;
  /** What to show for the value (a related entity's title). */
  label?: string;
}

/** What a catalog table shows; saved as a view's definition and mirrored in the URL. */
export interface ViewDefinition {
  columns: string[];
  sort: { field: string; direction: 'ASC' | 'DESC' };
  filters: ViewFilter[];
  /** Quick text filter over identifier and title. */
  q?: string;
  pageSize: number;
}

export type ColumnKind = 'meta' | 'property' | 'calculated' | 'relation' | 'inverse';

/** A column a table of the blueprint can show. Its key is the GraphQL field name. */
export interface ColumnDef {
  key: string;
  title: string;
  kind: ColumnKind;
  schema?: PropertySchema;
  /** Blueprints at the other end (relations and inverse fields). */
  targets?: string[];
  /** The relation points at several blueprints: GraphQL gives a union. */
  union?: boolean;
  sortable: boolean;
}

export const pageSizes = [25, 50, 100] as const;

const metaColumns: ColumnDef[] = [
  {
    key: '_updatedAt',
    title: 'Updated',
    kind: 'meta',
    schema: { type: 'string', format: 'date-time' },
    sortable: true,
  },
  {
    key: '_createdAt',
    title: 'Created',
    kind: 'meta',
    schema: { type: 'string', format: 'date-time' },
    sortable: true,
  },
  {
    key: '_sources',
    title: 'Sources',
    kind: 'meta',
    schema: { type: 'array', items: { type: 'string' } },
    sortable: false,
  },
];

/** Every column a table of `bp` can show: properties, calculated values, relations both ways, meta fields. */
export function columnsOf(bp: Blueprint, model: Blueprint[]): ColumnDef[] {
  const out: ColumnDef[] = [];
  for (const [key, schema] of Object.entries(bp.schema.properties)) {
    out.push({
      key,
      title: schema.title ?? key,
      kind: 'property',
      schema,
      sortable: schema.type !== 'array' && schema.type !== 'object',
    });
  }
  for (const [key, calc] of Object.entries(bp.calculated ?? {})) {
    out.push({
      key,
      title: calc.title ?? key,
      kind: 'calculated',
      schema: { type: calc.type },
      sortable: false,
    });
  }
  for (const [key, rel] of Object.entries(bp.relations ?? {})) {
    const targets = targetsOf(rel);
    out.push({
      key,
      title: rel.title ?? key,
      kind: 'relation',
      targets,
      union: targets.length > 1,
      sortable: false,
    });
  }
  for (const source of model) {
    for (const [name, rel] of Object.entries(source.relations ?? {})) {
      if (!targetsOf(rel).includes(bp.identifier)) continue;
      const key = inverseFieldOf(source, name, rel);
      out.push({
        key,
        title: `${source.title || source.identifier} · ${rel.title ?? name} (incoming)`,
        kind: 'inverse',
        targets: [source.identifier],
        sortable: false,
      });
    }
  }
  return [...out, ...metaColumns];
}

/** The table a blueprint opens with: its first few properties and relations, newest first. */
export function defaultDefinition(bp: Blueprint, model: Blueprint[]): ViewDefinition {
  const cols = columnsOf(bp, model);
  const props = cols
    .filter((c) => c.kind === 'property' && c.schema?.format !== 'markdown' && c.schema?.type !== 'object')
    .slice(0, 4);
  const rels = cols.filter((c) => c.kind === 'relation').slice(0, 2);
  return {
    columns: [...props, ...rels].map((c) => c.key).concat('_updatedAt'),
    sort: { field: 'identifier', direction: 'ASC' },
    filters: [],
    pageSize: 50,
  };
}

/** Filter operators offered for a column, with the words the UI shows. */
export function operatorsFor(col: ColumnDef): { op: FilterOp; label: string; needsValue: boolean }[] {
  if (col.kind === 'relation' || col.kind === 'inverse') {
    return [
      { op: 'is', label: 'is', needsValue: true },
      { op: 'isNot', label: 'is not', needsValue: true },
      { op: 'any', label: 'is set', needsValue: false },
      { op: 'none', label: 'is empty', needsValue: false },
    ];
  }
  const s = col.schema;
  if (s?.type === 'array') return [{ op: 'includes', label: 'includes', needsValue: true }];
  if (s?.type === 'boolean') return [{ op: 'eq', label: 'is', needsValue: true }];
  if (s?.enum)
    return [
      { op: 'eq', label: 'is', needsValue: true },
      { op: 'neq', label: 'is not', needsValue: true },
    ];
  if (s?.type === 'number' || s?.type === 'integer') {
    return (['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const).map((op) => ({
      op,
      label: { eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' }[op],
      needsValue: true,
    }));
  }
  return [
    { op: 'contains', label: 'contains', needsValue: true },
    { op: 'eq', label: 'is', needsValue: true },
    { op: 'neq', label: 'is not', needsValue: true },
    { op: 'startsWith', label: 'starts with', needsValue: true },
  ];
}

/** The filterable columns: meta dates are left out (string order comparisons are not enabled in the schema). */
export function filterableColumns(bp: Blueprint, model: Blueprint[]): ColumnDef[] {
  const base: ColumnDef[] = [
    { key: 'identifier', title: 'Identifier', kind: 'meta', schema: { type: 'string' }, sortable: true },
    { key: 'title', title: 'Title', kind: 'meta', schema: { type: 'string' }, sortable: true },
  ];
  return [
    ...base,
    ...columnsOf(bp, model).filter(
      (c) => c.kind !== 'meta' && c.kind !== 'calculated' && c.schema?.type !== 'object',
    ),
  ];
}

function coerce(schema: PropertySchema | undefined, value: unknown): unknown {
  const t = schema?.type === 'array' ? schema.items?.type : schema?.type;
  if (t === 'integer') return Math.trunc(Number(value));
  if (t === 'number') return Number(value);
  if (t === 'boolean') return value === true || value === 'true';
  return String(value ?? '');
}

function splitKey(value: unknown): { blueprint: string | null; identifier: string } {
  const s = String(value ?? '');
  const i = s.indexOf(':');
  return i > 0
    ? { blueprint: s.slice(0, i), identifier: s.slice(i + 1) }
    : { blueprint: null, identifier: s };
}

// True for every entity (identifiers are never empty). An empty `some: {}` filters nothing in
// @neo4j/graphql, so "has any related entity" needs a predicate that always holds.
const anyEntity = { NOT: { identifier: { eq: '' } } };

function relationClause(col: ColumnDef, f: ViewFilter): Record<string, unknown> {
  const field = col.key;
  if (col.union) {
    // A union relation filters per member type; "is" knows the member from the value's blueprint.
    const members = col.targets ?? [];
    if (f.op === 'any')
      return { OR: members.map((t) => ({ [field]: { some: { [labelOf(t)]: anyEntity } } })) };
    if (f.op === 'none')
      return { AND: members.map((t) => ({ [field]: { none: { [labelOf(t)]: anyEntity } } })) };
    const ref = splitKey(f.value);
    const types = ref.blueprint ? [ref.blueprint] : members;
    const match = (t: string) => ({ [labelOf(t)]: { identifier: { eq: ref.identifier } } });
    if (f.op === 'is') return { OR: types.map((t) => ({ [field]: { some: match(t) } })) };
    return { AND: types.map((t) => ({ [field]: { none: match(t) } })) };
  }
  if (f.op === 'any') return { [field]: { some: anyEntity } };
  if (f.op === 'none') return { [field]: { none: anyEntity } };
  const { identifier } = splitKey(f.value);
  return { [field]: { [f.op === 'is' ? 'some' : 'none']: { identifier: { eq: identifier } } } };
}

/** The GraphQL `where` of a definition (null when nothing filters). Unknown fields are skipped. */
export function buildWhere(
  bp: Blueprint,
  model: Blueprint[],
  def: Pick<ViewDefinition, 'filters' | 'q'>,
): Record<string, unknown> | null {
  const cols = new Map(filterableColumns(bp, model).map((c) => [c.key, c]));
  const clauses: Record<string, unknown>[] = [];
  const q = def.q?.trim();
  if (q) clauses.push({ OR: [{ identifier: { caseInsensitive: { contains: q } } }, { title: { caseInsensitive: { contains: q } } }] });
  for (const f of def.filters) {
    const col = cols.get(f.field);
    if (!col) continue;
    if (col.kind === 'relation' || col.kind === 'inverse') {
      clauses.push(relationClause(col, f));
      continue;
    }
    const value = coerce(col.schema, f.value);
    if (typeof value === 'number' && Number.isNaN(value)) continue;
    if (f.op === 'neq') clauses.push({ NOT: { [f.field]: { eq: value } } });
    else clauses.push({ [f.field]: { [f.op]: value } });
  }
  if (clauses.length === 0) return null;
  return clauses.length === 1 ? clauses[0] : { AND: clauses };
}

/** A GraphQL request for one page of the table: rows plus the total count. */
export function buildTableQuery(
  bp: Blueprint,
  model: Blueprint[],
  def: ViewDefinition,
  page: number,
): { query: string; variables: Record<string, unknown> } {
  const label = labelOf(bp.identifier);
  const plural = pluralFieldOf(bp.identifier);
  const cols = new Map(columnsOf(bp, model).map((c) => [c.key, c]));
  const fields = ['identifier', 'title', '_blueprint'];
  for (const key of def.columns) {
    const col = cols.get(key);
    if (!col || fields.includes(key)) continue;
    // A few related entities per cell are enough to read; the entity page lists them all.
    if (col.kind === 'relation' || col.kind === 'inverse')
      fields.push(`${key}(limit: 4) { ... on Entity { identifier title _blueprint } }`);
    else fields.push(key);
  }
  const sortField =
    def.sort.field === 'identifier' || def.sort.field === 'title' || cols.get(def.sort.field)?.sortable
      ? def.sort.field
      : 'identifier';
  // Ties broken by identifier so pages never repeat or skip a row.
  const sort = [
    { [sortField]: def.sort.direction },
    ...(sortField === 'identifier' ? [] : [{ identifier: 'ASC' }]),
  ];
  const query = /* GraphQL */ `query CatalogTable($where: ${label}Where, $sort: [${label}Sort!], $limit: Int, $offset: Int) {
  rows: ${plural}(where: $where, sort: $sort, limit: $limit, offset: $offset) { ${fields.join(' ')} }
  total: ${plural}Connection(where: $where) { totalCount }
}`;
  return {
    query,
    variables: {
      where: buildWhere(bp, model, def),
      sort,
      limit: def.pageSize,
      offset: Math.max(0, page - 1) * def.pageSize,
    },
  };
}

/** A related entity as a table cell receives it. */
export interface RelatedRef {
  identifier: string;
  title: string | null;
  _blueprint: string;
}

/** Writes a definition into URL search parameters (only what differs from the default). */
export function definitionToSearch(
  def: ViewDefinition,
  base: ViewDefinition,
): Record<string, string | undefined> {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return {
    cols: same(def.columns, base.columns) ? undefined : def.columns.join(','),
    sort: same(def.sort, base.sort) ? undefined : `${def.sort.field}:${def.sort.direction.toLowerCase()}`,
    // Only what differs from the view: a view opened as saved has a bare URL (and is not "edited").
    filters: same(def.filters, base.filters) ? undefined : JSON.stringify(def.filters),
    q: (def.q ?? '') === (base.q ?? '') ? undefined : def.q || undefined,
    size: def.pageSize === base.pageSize ? undefined : String(def.pageSize),
  };
}

/** Reads a definition back from URL search parameters over `base` (ignoring what does not parse). */
export function definitionFromSearch(
  params: Record<string, string | undefined>,
  base: ViewDefinition,
): ViewDefinition {
  const def: ViewDefinition = { ...base, filters: [...base.filters] };
  if (params.cols !== undefined) def.columns = params.cols.split(',').filter(Boolean);
  if (params.sort) {
    const [field, dir] = params.sort.split(':');
    if (field) def.sort = { field, direction: dir === 'desc' ? 'DESC' : 'ASC' };
  }
  if (params.filters) {
    try {
      const parsed = JSON.parse(params.filters) as unknown;
      if (Array.isArray(parsed))
        def.filters = parsed.filter(
          (f): f is ViewFilter =>
            typeof f === 'object' &&
            f !== null &&
            typeof (f as ViewFilter).field === 'string' &&
            typeof (f as ViewFilter).op === 'string',
        );
    } catch {
      // A hand-edited URL with broken JSON falls back to the view's own filters.
    }
  }
  if (params.q) def.q = params.q;
  const size = Number(params.size);
  if ((pageSizes as readonly number[]).includes(size)) def.pageSize = size;
  return def;
}

/** Normalises a saved view's definition (written by an older UI, or by hand) into a full one. */
export function normaliseDefinition(raw: unknown, base: ViewDefinition): ViewDefinition {
  const d = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<ViewDefinition>;
  return {
    columns: Array.isArray(d.columns) ? d.columns.filter((c) => typeof c === 'string') : base.columns,
    sort:
      d.sort && typeof d.sort.field === 'string'
        ? { field: d.sort.field, direction: d.sort.direction === 'DESC' ? 'DESC' : 'ASC' }
        : base.sort,
    filters: Array.isArray(d.filters) ? d.filters : [],
    q: typeof d.q === 'string' ? d.q : undefined,
    pageSize: (pageSizes as readonly number[]).includes(d.pageSize as number)
      ? (d.pageSize as number)
      : base.pageSize,
  };
}
