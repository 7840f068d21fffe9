/**
 * The data-model editor's form state: a blueprint as editable rows, converted back to the
 * API's blueprint shape, and the server's 422 details sorted onto the rows they concern.
 */
import type { ErrorDetail } from '../../api/client.ts';
import type { Blueprint, PropertySchema, RelationDef } from '../../api/types.ts';

export const propertyTypes = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;
export const stringFormats = ['', 'url', 'email', 'date-time', 'markdown', 'yaml'] as const;
export const itemTypes = ['string', 'number', 'integer', 'boolean'] as const;

/** One property row. `rowId` keeps Solid's list stable while the name is being typed. */
export interface PropertyDraft {
  rowId: number;
  name: string;
  title: string;
  type: PropertySchema['type'];
  format: string;
  itemsType: string;
  /** Allowed values, comma separated (empty: any value). */
  enumText: string;
  required: boolean;
  description: string;
  /** Keywords the form does not edit (pattern, minimum, default…), kept as they were. */
  rest: Partial<PropertySchema>;
}

/** One relation row. */
export interface RelationDraft {
  rowId: number;
  name: string;
  title: string;
  targets: string[];
  many: boolean;
  required: boolean;
  inverse: string;
  /** Impact role (`dependency`, `ownership`, ...); '' means the default, `other`. */
  role: string;
  description: string;
}

export interface BlueprintDraft {
  identifier: string;
  title: string;
  description: string;
  icon: string;
  properties: PropertyDraft[];
  relations: RelationDraft[];
  /** Parts the form does not edit (calculated properties), sent back unchanged. */
  calculated?: Blueprint['calculated'];
}

let nextRow = 1;
/** A fresh row id. */
export const rowId = () => nextRow++;

/** An empty property row. */
export function newProperty(): PropertyDraft {
  return {
    rowId: rowId(),
    name: '',
    title: '',
    type: 'string',
    format: '',
    itemsType: 'string',
    enumText: '',
    required: false,
    description: '',
    rest: {},
  };
}

/** An empty relation row pointing at `target`. */
export function newRelation(target = ''): RelationDraft {
  return {
    rowId: rowId(),
    name: '',
    title: '',
    targets: target ? [target] : [],
    many: false,
    required: false,
    inverse: '',
    role: '',
    description: '',
  };
}

/** A blank blueprint. */
export function emptyDraft(): BlueprintDraft {
  return { identifier: '', title: '', description: '', icon: '', properties: [newProperty()], relations: [] };
}

/** Editable rows of an existing blueprint. */
export function toDraft(bp: Blueprint): BlueprintDraft {
  const required = new Set(bp.schema.required ?? []);
  return {
    identifier: bp.identifier,
    title: bp.title ?? '',
    description: bp.description ?? '',
    icon: bp.icon ?? '',
    calculated: bp.calculated,
    properties: Object.entries(bp.schema.properties).map(([name, s]) => {
      const { type, title, format, enum: values, description, items, ...rest } = s;
      return {
        rowId: rowId(),
        name,
        title: title ?? '',
        type,
        format: format ?? '',
        itemsType: items?.type ?? 'string',
        enumText: values ? values.map(String).join(', ') : '',
        required: required.has(name),
        description: description ?? '',
        rest: { ...rest, ...(items && Object.keys(items).length > 1 ? { items } : {}) },
      };
    }),
    relations: Object.entries(bp.relations ?? {}).map(([name, r]) => ({
      rowId: rowId(),
      name,
      title: r.title ?? '',
      targets: Array.isArray(r.target) ? r.target : [r.target],
      many: Boolean(r.many),
      required: Boolean(r.required),
      inverse: r.inverse ?? '',
      role: r.role && r.role !== 'other' ? r.role : '',
      description: r.description ?? '',
    })),
  };
}

function enumValues(p: PropertyDraft): unknown[] | undefined {
  const parts = p.enumText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) return undefined;
  const t = p.type === 'array' ? p.itemsType : p.type;
  if (t === 'integer' || t === 'number') return parts.map(Number);
  if (t === 'boolean') return parts.map((s) => s === 'true');
  return parts;
}

/** The blueprint a draft describes, as the API takes it. Empty rows are left out. */
export function fromDraft(d: BlueprintDraft): Blueprint {
  const properties: Record<string, PropertySchema> = {};
  const required: string[] = [];
  for (const p of d.properties) {
    const name = p.name.trim();
    if (!name) continue;
    const s: PropertySchema = { ...p.rest, type: p.type };
    if (p.title.trim()) s.title = p.title.trim();
    if (p.description.trim()) s.description = p.description.trim();
    if (p.type === 'string' && p.format) s.format = p.format as PropertySchema['format'];
    const values = enumValues(p);
    if (p.type === 'array') {
      s.items = { ...(p.rest.items ?? {}), type: p.itemsType as 'string' };
      if (values) s.items.enum = values;
    } else if (values) s.enum = values;
    if (p.type !== 'string') delete s.format;
    properties[name] = s;
    if (p.required) required.push(name);
  }
  const relations: Record<string, RelationDef> = {};
  for (const r of d.relations) {
    const name = r.name.trim();
    if (!name) continue;
    const rel: RelationDef = {
      target: r.targets.length === 1 ? r.targets[0] : r.targets,
      many: r.many,
      required: r.required,
    };
    if (r.title.trim()) rel.title = r.title.trim();
    if (r.description.trim()) rel.description = r.description.trim();
    if (r.inverse.trim()) rel.inverse = r.inverse.trim();
    if (r.role) rel.role = r.role as NonNullable<RelationDef['role']>;
    relations[name] = rel;
  }
  const bp: Blueprint = {
    identifier: d.identifier.trim(),
    title: d.title.trim(),
    schema: { properties, required },
    relations,
  };
  if (d.description.trim()) bp.description = d.description.trim();
  if (d.icon.trim()) bp.icon = d.icon.trim();
  if (d.calculated && Object.keys(d.calculated).length > 0) bp.calculated = d.calculated;
  return bp;
}

/** Server problems placed on the form: by field name, by property/relation row, and the rest. */
export interface PlacedErrors {
  fields: Record<string, string[]>;
  properties: Record<number, string[]>;
  relations: Record<number, string[]>;
  general: string[];
}

/** Sorts 422 details (`/schema/properties/tier/type`, `/relations/ownedBy/target`, `/identifier`…) onto rows. */
export function placeErrors(d: BlueprintDraft, details: ErrorDetail[]): PlacedErrors {
  const out: PlacedErrors = { fields: {}, properties: {}, relations: {}, general: [] };
  const push = <K extends string | number>(m: Record<K, string[]>, k: K, msg: string) => {
    m[k] = [...(m[k] ?? []), msg];
  };
  const required = fromDraft(d).schema.required ?? [];
  for (const det of details) {
    const path = det.path ?? '';
    let m = /^\/schema\/properties\/([^/]+)/.exec(path);
    if (m) {
      const row = d.properties.find((p) => p.name.trim() === m![1]);
      if (row) {
        push(out.properties, row.rowId, det.message);
        continue;
      }
    }
    m = /^\/schema\/required\/(\d+)/.exec(path);
    if (m) {
      const row = d.properties.find((p) => p.name.trim() === required[Number(m![1])]);
      if (row) {
        push(out.properties, row.rowId, det.message);
        continue;
      }
    }
    m = /^\/relations\/([^/]+)/.exec(path);
    if (m) {
      const row = d.relations.find((r) => r.name.trim() === m![1]);
      if (row) {
        push(out.relations, row.rowId, det.message);
        continue;
      }
    }
    m = /^\/(identifier|title|description|icon)$/.exec(path);
    if (m) {
      push(out.fields, m[1], det.message);
      continue;
    }
    out.general.push(path && path !== '/' ? `${path}: ${det.message}` : det.message);
  }
  return out;
}
