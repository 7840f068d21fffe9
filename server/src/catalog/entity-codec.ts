import { createHash } from 'node:crypto';
import {
  type Blueprint,
  canonicalJson,
  type PropertySchema,
  relTypeOf,
  type StoredEntity,
  targetsOf,
} from '@plexus/contract';
import neo4j from 'neo4j-driver';

/** A relation target resolved to (blueprint, identifier). */
export interface TargetRef {
  blueprint: string;
  identifier: string;
}

/** An entity after validation: relations as target lists, ready to compare and write. */
export interface DesiredEntity {
  blueprint: string;
  identifier: string;
  title: string | null;
  properties: Record<string, unknown>;
  /** Every relation of the blueprint (empty list when none). */
  relations: Record<string, TargetRef[]>;
}

/** Key of a relation target, as used in sets and hashes. */
export function refKey(ref: TargetRef): string {
  return `${ref.blueprint}:${ref.identifier}`;
}

/** Content hash of an entity (title, properties, relations): equal hash means nothing to write. */
export function hashEntity(e: DesiredEntity): string {
  const relations: Record<string, string[]> = {};
  for (const [name, refs] of Object.entries(e.relations)) {
    if (refs.length > 0) relations[name] = refs.map(refKey).sort();
  }
  return createHash('sha1')
    .update(canonicalJson({ t: e.title, p: e.properties, r: relations }))
    .digest('base64url');
}

function encodeValue(schema: PropertySchema | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !schema) return value ?? null;
  if (schema.type === 'integer') return neo4j.int(value as number);
  if (schema.type === 'object') return JSON.stringify(value);
  if (schema.type === 'array' && schema.items?.type === 'integer')
    return (value as number[]).map((v) => neo4j.int(v));
  return value;
}

function decodeValue(schema: PropertySchema | undefined, value: unknown): unknown {
  if (schema?.type === 'object' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Node properties to `SET n += ...`: the entity's properties in their Neo4j form, and null for
 * every property the node holds now that the entity no longer has (which removes it).
 */
export function nodeProperties(
  bp: Blueprint,
  e: DesiredEntity,
  beforeKeys: Iterable<string> = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of beforeKeys) {
    if (!key.startsWith('_') && key !== 'identifier' && key !== 'title') out[key] = null;
  }
  for (const [key, value] of Object.entries(e.properties))
    out[key] = encodeValue(bp.schema.properties[key], value);
  out._text = searchText(bp, e);
  return out;
}

/** The string property values of an entity, joined: what full-text search sees besides identifier and title. */
export function searchText(bp: Blueprint, e: DesiredEntity): string | null {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(e.properties)) {
    const schema = bp.schema.properties[key];
    if (schema?.type === 'string' && typeof value === 'string') parts.push(value);
    else if (schema?.type === 'array' && schema.items?.type === 'string' && Array.isArray(value))
      parts.push(...(value as string[]));
  }
  return parts.length > 0 ? parts.join(' \n ') : null;
}

/** Maps a relationship type back to the blueprint's relation identifier. */
export function relationByType(bp: Blueprint): Map<string, string> {
  const m = new Map<string, string>();
  for (const name of Object.keys(bp.relations ?? {})) m.set(relTypeOf(name), name);
  return m;
}

/** Rebuilds the desired-entity form from stored node properties and `[type, blueprint, id]` triples. */
export function decodeEntity(
  bp: Blueprint,
  props: Record<string, unknown>,
  rels: [string, string, string][],
): DesiredEntity {
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith('_') || key === 'identifier' || key === 'title') continue;
    properties[key] = decodeValue(bp.schema.properties[key], value);
  }
  const byType = relationByType(bp);
  const relations: Record<string, TargetRef[]> = {};
  for (const name of Object.keys(bp.relations ?? {})) relations[name] = [];
  const seen = new Set<string>();
  for (const [type, blueprint, identifier] of rels) {
    const name = byType.get(type);
    if (!name) continue;
    const key = `${name}|${blueprint}:${identifier}`;
    if (seen.has(key)) continue;
    seen.add(key);
    relations[name].push({ blueprint, identifier });
  }
  for (const refs of Object.values(relations)) refs.sort((a, b) => refKey(a).localeCompare(refKey(b)));
  return {
    blueprint: bp.identifier,
    identifier: props.identifier as string,
    title: (props.title as string | undefined) ?? null,
    properties,
    relations,
  };
}

/** The API form of an entity: relation values as identifiers (`blueprint:identifier` when polymorphic). */
export function toApiEntity(bp: Blueprint, e: DesiredEntity, props?: Record<string, unknown>): StoredEntity {
  const relations: StoredEntity['relations'] = {};
  for (const [name, def] of Object.entries(bp.relations ?? {})) {
    const poly = targetsOf(def).length > 1;
    const ids = (e.relations[name] ?? []).map((r) => (poly ? refKey(r) : r.identifier));
    relations[name] = def.many ? ids : (ids[0] ?? null);
  }
  return {
    identifier: e.identifier,
    blueprint: e.blueprint,
    title: e.title,
    properties: e.properties,
    relations,
    meta: {
      createdAt: props?._createdAt as string | undefined,
      updatedAt: props?._updatedAt as string | undefined,
      createdBy: props?._createdBy as string | undefined,
      updatedBy: props?._updatedBy as string | undefined,
      sources: (props?._sources as string[] | undefined) ?? [],
      ...(typeof props?._applySet === 'string' ? { applySet: props._applySet } : {}),
    },
  };
}
