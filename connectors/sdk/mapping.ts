/**
 * Declarative mappings: YAML that turns raw records into entities with JSONata expressions.
 * Mappings are data, so a platform team adapts a connector to its own blueprints without code.
 *
 * @example
 * mappings:
 *   - kind: repository                 # records of this kind...
 *     selector: archived = false       # ...for which this is true (optional)
 *     blueprint: service               # a blueprint identifier, or a JSONata expression
 *     identifier: name
 *     title: full_name
 *     properties:
 *       language: $lowercase(language)
 *       url: html_url
 *     relations:
 *       ownedBy: "'team-' & owner.login"
 *   - kind: repository                 # several entries per kind: one record, several entities
 *     blueprint: repository
 *     identifier: full_name
 */
import { readFileSync } from 'node:fs';
import { compileJsonata as compileLimited, jsonataErrorText } from '@plexus/contract';
import { parse as parseYaml } from 'yaml';
import type { RawRecord } from './contract.ts';

/** One mapping entry: which records it applies to and how to build an entity from each. */
export interface MappingEntry {
  kind: string;
  /** JSONata boolean over the record; records for which it is not `true` are skipped. */
  selector?: string;
  /**
   * Optional JSONata expression giving a list: the entry then maps each element (as the context),
   * with the whole record bound to `$record`. For nested resources (team → members).
   */
  forEach?: string;
  /** A blueprint identifier (letters and digits only), or a JSONata expression giving one. */
  blueprint: string;
  identifier: string;
  title?: string;
  /**
   * Property name → JSONata; `undefined`/`null` results are left out. Or one JSONata expression
   * giving the whole properties object (pass-through mappings: `properties: properties`).
   */
  properties?: Record<string, string> | string;
  /** Relation name → JSONata giving an identifier, `blueprint:identifier`, or a list; or one expression giving the object. */
  relations?: Record<string, string> | string;
}

/** A mapping file: `mappings:` followed by entries. */
export interface MappingDocument {
  mappings: MappingEntry[];
}

/** An entity as produced by a mapping, in the shape the catalog accepts. */
export interface MappedEntity {
  blueprint: string;
  identifier: string;
  title?: string | null;
  properties: Record<string, unknown>;
  relations: Record<string, string | string[] | null>;
}

/** A per-record mapping problem: which record (position in the stream, origin), which entry and field. */
export interface MappingError {
  /** 0-based position of the record in the run's stream. */
  position: number;
  origin?: string;
  kind: string;
  /** Index of the entry in `mappings`. */
  entry: number;
  /** `identifier`, `properties.tier`, `relations.ownedBy`, ... */
  field: string;
  message: string;
  blueprint?: string;
  identifier?: string;
}

/** One problem in a mapping file, found before any record is mapped. */
export interface MappingIssue {
  path: string;
  message: string;
}

/** Thrown when a mapping file is malformed or an expression does not compile. */
export class MappingInvalidError extends Error {
  constructor(readonly issues: MappingIssue[]) {
    super(`invalid mapping: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'MappingInvalidError';
  }
}

/** Extra JSONata functions a connector offers its mappings (e.g. Backstage entity references). */
export type MappingFunctions = Record<string, { fn: (...args: any[]) => unknown; signature?: string }>;

/** The identity a record maps to, for deletes. */
export interface MappedRef {
  blueprint: string;
  identifier: string;
}

/** A compiled mapping: apply it to records. */
export interface CompiledMapping {
  readonly document: MappingDocument;
  /** Kinds the mapping has entries for. */
  readonly kinds: ReadonlySet<string>;
  /** Maps one record; never throws for a bad record (errors come back as data). */
  apply(record: RawRecord, position: number): Promise<{ entities: MappedEntity[]; errors: MappingError[] }>;
  /** Only the identities (selector, blueprint, identifier), for delete deltas. */
  identify(record: RawRecord, position: number): Promise<{ refs: MappedRef[]; errors: MappingError[] }>;
}

type Evaluator = (data: unknown, bindings: Record<string, unknown>) => Promise<unknown>;

const literalBlueprint = /^[a-z][a-zA-Z0-9]{0,63}$/;
const simplePath = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const reserved = new Set(['true', 'false', 'null', 'and', 'or', 'in', 'function']);

function compile(expr: string, path: string, issues: MappingIssue[], functions: MappingFunctions): Evaluator {
  const text = String(expr).trim();
  // Plain dotted paths (most fields) are read directly: ~20x faster than evaluating JSONata, and
  // the same result as long as no list is crossed on the way (then JSONata decides).
  if (simplePath.test(text) && !text.split('.').some((p) => reserved.has(p))) {
    const parts = text.split('.');
    let full: Evaluator | null = null;
    return async (data, bindings) => {
      let v: unknown = data;
      for (const p of parts) {
        if (Array.isArray(v)) {
          full ??= compileJsonata(text, path, [], functions);
          return full(data, bindings);
        }
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[p];
      }
      return v;
    };
  }
  return compileJsonata(text, path, issues, functions);
}

function compileJsonata(
  text: string,
  path: string,
  issues: MappingIssue[],
  functions: MappingFunctions,
): Evaluator {
  try {
    const expression = compileLimited(text);
    for (const [name, f] of Object.entries(functions)) expression.registerFunction(name, f.fn, f.signature);
    return (data, bindings) => expression.evaluate(data, bindings) as Promise<unknown>;
  } catch (err) {
    issues.push({
      path,
      message: `JSONata: ${jsonataErrorText(err)} in ${JSON.stringify(text)}`,
    });
    return async () => undefined;
  }
}

interface CompiledEntry {
  index: number;
  entry: MappingEntry;
  selector: Evaluator | null;
  forEach: Evaluator | null;
  blueprint: string | Evaluator;
  identifier: Evaluator;
  title: Evaluator | null;
  properties: [string, Evaluator][];
  relations: [string, Evaluator][];
  /** Whole-object forms (`properties: <expression>`). */
  allProperties: Evaluator | null;
  allRelations: Evaluator | null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkDocument(doc: unknown, issues: MappingIssue[]): MappingDocument {
  if (!isObject(doc) || !Array.isArray(doc.mappings)) {
    issues.push({ path: '/', message: 'a mapping is an object with a "mappings" list' });
    return { mappings: [] };
  }
  const allowed = new Set([
    'kind',
    'selector',
    'forEach',
    'blueprint',
    'identifier',
    'title',
    'properties',
    'relations',
  ]);
  doc.mappings.forEach((e, i) => {
    const p = `/mappings/${i}`;
    if (!isObject(e)) {
      issues.push({ path: p, message: 'an entry is an object' });
      return;
    }
    for (const k of Object.keys(e))
      if (!allowed.has(k))
        issues.push({ path: `${p}/${k}`, message: `unknown key; an entry has ${[...allowed].join(', ')}` });
    for (const k of ['kind', 'blueprint', 'identifier']) {
      if (typeof e[k] !== 'string' || (e[k] as string).trim() === '')
        issues.push({ path: `${p}/${k}`, message: 'is required (a string)' });
    }
    for (const k of ['selector', 'forEach', 'title']) {
      if (e[k] !== undefined && typeof e[k] !== 'string')
        issues.push({ path: `${p}/${k}`, message: 'must be a JSONata expression (a string)' });
    }
    for (const k of ['properties', 'relations']) {
      if (e[k] === undefined || typeof e[k] === 'string') continue;
      if (!isObject(e[k]))
        issues.push({ path: `${p}/${k}`, message: 'must be a mapping of name to JSONata expression' });
      else
        for (const [n, v] of Object.entries(e[k] as object))
          if (typeof v !== 'string')
            issues.push({
              path: `${p}/${k}/${n}`,
              message: 'must be a JSONata expression (a string); quote literals, e.g. "\'prod\'"',
            });
    }
  });
  return doc as unknown as MappingDocument;
}

/** Reads a mapping from a `mapping.yaml` URL, YAML text or a document object. */
export function readMappingDocument(source: URL | string | MappingDocument): MappingDocument {
  if (source instanceof URL) return parseYaml(readFileSync(source, 'utf8')) as MappingDocument;
  if (typeof source === 'string') return parseYaml(source) as MappingDocument;
  return source;
}

/**
 * Checks and compiles a mapping. Throws `MappingInvalidError` listing every malformed entry and
 * every expression that does not compile, with its path (`/mappings/2/properties/tier`).
 */
export function compileMapping(
  source: URL | string | MappingDocument,
  options: { functions?: MappingFunctions } = {},
): CompiledMapping {
  const functions = options.functions ?? {};
  const issues: MappingIssue[] = [];
  let raw: unknown;
  try {
    raw = readMappingDocument(source);
  } catch (err) {
    throw new MappingInvalidError([{ path: '/', message: `not valid YAML: ${(err as Error).message}` }]);
  }
  const doc = checkDocument(raw, issues);
  if (issues.length > 0) throw new MappingInvalidError(issues);
  const byKind = new Map<string, CompiledEntry[]>();
  doc.mappings.forEach((entry, index) => {
    const p = `/mappings/${index}`;
    const compiled: CompiledEntry = {
      index,
      entry,
      selector: entry.selector ? compile(entry.selector, `${p}/selector`, issues, functions) : null,
      forEach: entry.forEach ? compile(entry.forEach, `${p}/forEach`, issues, functions) : null,
      blueprint: literalBlueprint.test(entry.blueprint)
        ? entry.blueprint
        : compile(entry.blueprint, `${p}/blueprint`, issues, functions),
      identifier: compile(entry.identifier, `${p}/identifier`, issues, functions),
      title: entry.title ? compile(entry.title, `${p}/title`, issues, functions) : null,
      properties:
        typeof entry.properties === 'string'
          ? []
          : Object.entries(entry.properties ?? {}).map(([k, v]) => [
              k,
              compile(v, `${p}/properties/${k}`, issues, functions),
            ]),
      relations:
        typeof entry.relations === 'string'
          ? []
          : Object.entries(entry.relations ?? {}).map(([k, v]) => [
              k,
              compile(v, `${p}/relations/${k}`, issues, functions),
            ]),
      allProperties:
        typeof entry.properties === 'string'
          ? compile(entry.properties, `${p}/properties`, issues, functions)
          : null,
      allRelations:
        typeof entry.relations === 'string'
          ? compile(entry.relations, `${p}/relations`, issues, functions)
          : null,
    };
    byKind.set(entry.kind, [...(byKind.get(entry.kind) ?? []), compiled]);
  });
  if (issues.length > 0) throw new MappingInvalidError(issues);

  async function contexts(
    c: CompiledEntry,
    record: RawRecord,
    bindings: Record<string, unknown>,
  ): Promise<unknown[]> {
    if (!c.forEach) return [record.data];
    const list = await c.forEach(record.data, bindings);
    if (list === undefined || list === null) return [];
    return Array.isArray(list) ? list : [list];
  }

  async function identity(
    c: CompiledEntry,
    data: unknown,
    bindings: Record<string, unknown>,
    fail: (field: string, message: string, extra?: Partial<MappingError>) => void,
  ) {
    if (c.selector) {
      let ok: unknown;
      try {
        ok = await c.selector(data, bindings);
      } catch (err) {
        fail('selector', (err as Error).message);
        return null;
      }
      if (ok !== true) return null;
    }
    let blueprint: unknown;
    try {
      blueprint = typeof c.blueprint === 'string' ? c.blueprint : await c.blueprint(data, bindings);
    } catch (err) {
      fail('blueprint', (err as Error).message);
      return null;
    }
    if (typeof blueprint !== 'string' || blueprint === '') {
      fail('blueprint', `must give a blueprint identifier, got ${JSON.stringify(blueprint) ?? 'nothing'}`);
      return null;
    }
    let identifier: unknown;
    try {
      identifier = await c.identifier(data, bindings);
    } catch (err) {
      fail('identifier', (err as Error).message, { blueprint });
      return null;
    }
    if (typeof identifier === 'number') identifier = String(identifier);
    if (typeof identifier !== 'string' || identifier === '') {
      fail('identifier', `must give a non-empty string, got ${JSON.stringify(identifier) ?? 'nothing'}`, {
        blueprint,
      });
      return null;
    }
    return { blueprint, identifier };
  }

  async function run<T>(
    record: RawRecord,
    position: number,
    each: (
      c: CompiledEntry,
      data: unknown,
      bindings: Record<string, unknown>,
      fail: (field: string, message: string, extra?: Partial<MappingError>) => void,
      errors: MappingError[],
    ) => Promise<T | null>,
  ): Promise<{ out: T[]; errors: MappingError[] }> {
    const out: T[] = [];
    const errors: MappingError[] = [];
    for (const c of byKind.get(record.kind) ?? []) {
      const fail = (field: string, message: string, extra: Partial<MappingError> = {}) =>
        errors.push({
          position,
          ...(record.origin ? { origin: record.origin } : {}),
          kind: record.kind,
          entry: c.index,
          field,
          message,
          ...extra,
        });
      const bindings = { record: record.data, kind: record.kind };
      let list: unknown[];
      try {
        list = await contexts(c, record, bindings);
      } catch (err) {
        fail('forEach', (err as Error).message);
        continue;
      }
      for (const data of list) {
        const r = await each(c, data, bindings, fail, errors);
        if (r !== null) out.push(r);
      }
    }
    return { out, errors };
  }

  return {
    document: doc,
    kinds: new Set(byKind.keys()),
    async identify(record, position) {
      const { out, errors } = await run(record, position, (c, data, bindings, fail) =>
        identity(c, data, bindings, fail),
      );
      return { refs: out, errors };
    },
    async apply(record, position) {
      const { out, errors } = await run<MappedEntity>(
        record,
        position,
        async (c, data, bindings, fail, soFar) => {
          const id = await identity(c, data, bindings, fail);
          if (!id) return null;
          const failed = (field: string, message: string) => fail(field, message, id);
          const before = soFar.length;
          const entity: MappedEntity = {
            blueprint: id.blueprint,
            identifier: id.identifier,
            properties: {},
            relations: {},
          };
          if (c.title) {
            try {
              const t = await c.title(data, bindings);
              if (t !== undefined && t !== null) {
                if (typeof t === 'string' || typeof t === 'number') entity.title = String(t);
                else failed('title', `must give a string, got ${JSON.stringify(t)}`);
              }
            } catch (err) {
              failed('title', (err as Error).message);
            }
          }
          const expand = async (ev: Evaluator | null, field: string): Promise<[string, Evaluator][]> => {
            if (!ev) return [];
            try {
              const v = await ev(data, bindings);
              if (v === undefined || v === null) return [];
              if (!isObject(v)) {
                failed(field, `must give an object, got ${JSON.stringify(v)}`);
                return [];
              }
              return Object.entries(v).map(([k, x]) => [k, async () => x]);
            } catch (err) {
              failed(field, (err as Error).message);
              return [];
            }
          };
          const properties = c.allProperties ? await expand(c.allProperties, 'properties') : c.properties;
          const relations = c.allRelations ? await expand(c.allRelations, 'relations') : c.relations;
          for (const [name, ev] of properties) {
            try {
              const v = await ev(data, bindings);
              if (v !== undefined && v !== null) entity.properties[name] = normalise(v);
            } catch (err) {
              failed(`properties.${name}`, (err as Error).message);
            }
          }
          for (const [name, ev] of relations) {
            try {
              const v = await ev(data, bindings);
              const list = (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]).filter(
                (x) => x !== null && x !== undefined && x !== '',
              );
              if (list.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
                failed(`relations.${name}`, `must give identifiers (strings), got ${JSON.stringify(v)}`);
                continue;
              }
              const ids = [...new Set(list.map(String))];
              entity.relations[name] = Array.isArray(v) ? ids : (ids[0] ?? null);
            } catch (err) {
              failed(`relations.${name}`, (err as Error).message);
            }
          }
          // A record with a broken field is not written half-mapped; its error is reported instead.
          return soFar.length > before ? null : entity;
        },
      );
      return { entities: out, errors };
    },
  };
}

/** JSONata sequences carry a hidden `sequence` flag; plain copies keep hashes and validation honest. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}
