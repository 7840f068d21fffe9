import { type Blueprint, type Model, type RelationDef, targetsOf } from '@plexus/contract';
import type { ErrorDetail } from '../errors.ts';
import { describeAjvErrors, propertiesValidator } from '../model/entity-schema.ts';
import type { DesiredEntity, TargetRef } from './entity-codec.ts';

/** An incoming record after the checks that need no database: what it says, not yet merged. */
export interface CheckedRecord {
  index: number;
  blueprint: Blueprint;
  identifier: string;
  /** Present when the body had `title`. */
  title?: string | null;
  properties: Record<string, unknown>;
  /** Only the relations the body mentions. */
  relations: Record<string, TargetRef[]>;
}

const entityKeys = new Set(['identifier', 'blueprint', 'title', 'properties', 'relations', 'meta']);
const maxIdentifierLength = 512;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseTarget(value: unknown, name: string, rel: RelationDef): TargetRef | string {
  if (typeof value !== 'string' || value.length === 0) return `relation "${name}" values must be non-empty identifier strings`;
  const targets = targetsOf(rel);
  const colon = value.indexOf(':');
  if (colon > 0) {
    const prefix = value.slice(0, colon);
    if (targets.includes(prefix)) return { blueprint: prefix, identifier: value.slice(colon + 1) };
  }
  if (targets.length === 1) return { blueprint: targets[0], identifier: value };
  return `relation "${name}" targets several blueprints (${targets.join(', ')}); write "blueprint:identifier", got ${JSON.stringify(value)}`;
}

/**
 * Checks records against the model without touching the database: shape, blueprint, identifier,
 * properties (Ajv, `required` only when `merge` is off) and relation names, arity and targets.
 * `defaultBlueprint` fills in `blueprint` for the per-blueprint endpoint.
 */
export function checkRecords(
  model: Model,
  records: unknown[],
  options: { merge: boolean; defaultBlueprint?: string; offset?: number },
): { records: CheckedRecord[]; details: ErrorDetail[] } {
  const details: ErrorDetail[] = [];
  const out: CheckedRecord[] = [];
  const offset = options.offset ?? 0;
  records.forEach((raw, i) => {
    const index = i + offset;
    const bad = (message: string, path?: string) => {
      details.push({ index, identifier: isObject(raw) && typeof raw.identifier === 'string' ? raw.identifier : undefined, path, message });
    };
    if (!isObject(raw)) return bad('an entity must be a JSON object');
    const before = details.length;
    for (const key of Object.keys(raw)) if (!entityKeys.has(key)) bad(`unknown key "${key}"; an entity has identifier, blueprint, title, properties, relations`, `/${key}`);
    const bpId = raw.blueprint ?? options.defaultBlueprint;
    if (options.defaultBlueprint && raw.blueprint !== undefined && raw.blueprint !== options.defaultBlueprint) {
      return bad(`blueprint "${String(raw.blueprint)}" does not match the URL's blueprint "${options.defaultBlueprint}"`, '/blueprint');
    }
    if (typeof bpId !== 'string') return bad('blueprint is required', '/blueprint');
    const bp = model.get(bpId);
    if (!bp) return bad(`unknown blueprint "${bpId}"; GET /api/v1/blueprints lists them`, '/blueprint');
    const id = raw.identifier;
    if (typeof id !== 'string' || id.length === 0 || id.length > maxIdentifierLength || /[\u0000-\u001f]/.test(id)) {
      return bad(`identifier must be a non-empty string of at most ${maxIdentifierLength} characters without control characters`, '/identifier');
    }
    if (raw.title !== undefined && raw.title !== null && typeof raw.title !== 'string') bad('title must be a string', '/title');
    const props = raw.properties ?? {};
    if (!isObject(props)) bad('properties must be an object', '/properties');
    else {
      const v = options.merge ? propertiesValidator(bp).partial : propertiesValidator(bp).full;
      if (!v(props)) for (const d of describeAjvErrors(v.errors)) bad(d.message, d.path);
    }
    const rels = raw.relations ?? {};
    const relations: Record<string, TargetRef[]> = {};
    if (!isObject(rels)) bad('relations must be an object keyed by relation identifier', '/relations');
    else {
      for (const [name, value] of Object.entries(rels)) {
        const def = bp.relations?.[name];
        const path = `/relations/${name}`;
        if (!def) {
          bad(`unknown relation "${name}"; blueprint "${bp.identifier}" has ${Object.keys(bp.relations ?? {}).join(', ') || 'no relations'}`, path);
          continue;
        }
        const values = value === null ? [] : Array.isArray(value) ? value : [value];
        if (!def.many && Array.isArray(value) && value.length > 1) {
          bad(`relation "${name}" holds one target (many: false); got a list of ${value.length}`, path);
          continue;
        }
        const refs: TargetRef[] = [];
        const seen = new Set<string>();
        for (const v of values) {
          const ref = parseTarget(v, name, def);
          if (typeof ref === 'string') bad(ref, path);
          else if (!seen.has(`${ref.blueprint}:${ref.identifier}`)) {
            seen.add(`${ref.blueprint}:${ref.identifier}`);
            refs.push(ref);
          }
        }
        relations[name] = refs;
      }
      if (!options.merge) {
        for (const [name, def] of Object.entries(bp.relations ?? {})) {
          if (def.required && !(relations[name]?.length > 0)) bad(`relation "${name}" is required`, `/relations/${name}`);
        }
      }
    }
    if (details.length > before) return;
    const rec: CheckedRecord = { index, blueprint: bp, identifier: id, properties: props as Record<string, unknown>, relations };
    if ('title' in raw) rec.title = (raw.title as string | null) ?? null;
    out.push(rec);
  });
  return { records: out, details };
}

/** The full desired state of a record: as written (replace) or laid over the stored entity (merge). */
export function desiredState(rec: CheckedRecord, before: DesiredEntity | null, merge: boolean): DesiredEntity {
  const relations: Record<string, TargetRef[]> = {};
  for (const name of Object.keys(rec.blueprint.relations ?? {})) {
    relations[name] = rec.relations[name] ?? (merge && before ? before.relations[name] ?? [] : []);
  }
  return {
    blueprint: rec.blueprint.identifier,
    identifier: rec.identifier,
    title: rec.title !== undefined ? rec.title : merge && before ? before.title : null,
    properties: merge && before ? { ...before.properties, ...rec.properties } : rec.properties,
    relations,
  };
}

/** Checks a merged entity against the blueprint's `required` lists (merge mode only). */
export function checkMerged(rec: CheckedRecord, e: DesiredEntity): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const v = propertiesValidator(rec.blueprint).full;
  if (!v(e.properties)) {
    for (const d of describeAjvErrors(v.errors)) out.push({ index: rec.index, identifier: rec.identifier, ...d });
  }
  for (const [name, def] of Object.entries(rec.blueprint.relations ?? {})) {
    if (def.required && e.relations[name].length === 0) {
      out.push({ index: rec.index, identifier: rec.identifier, path: `/relations/${name}`, message: `relation "${name}" is required` });
    }
  }
  return out;
}
