import {
  type Blueprint,
  identifierPattern,
  inverseFieldOf,
  labelOf,
  type Model,
  type PropertySchema,
  pluralFieldOf,
  relationRoles,
  targetsOf,
} from '@plexus/contract';
import { checkPermissions } from '../auth/permissions.ts';
import type { ErrorDetail } from '../errors.ts';
import { compilePropertySchema } from './entity-schema.ts';

const propertyTypes = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const itemTypes = new Set(['string', 'number', 'integer', 'boolean']);
const stringFormats = new Set(['date-time', 'url', 'email', 'markdown', 'yaml']);
const propertyKeywords = new Set([
  'type',
  'title',
  'description',
  'format',
  'enum',
  'default',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
]);
const blueprintKeys = new Set([
  'identifier',
  'title',
  'description',
  'icon',
  'schema',
  'relations',
  'calculated',
  'permissions',
  'createdAt',
  'updatedAt',
  'createdBy',
  'updatedBy',
  'applySet',
]);
const relationKeys = new Set(['title', 'description', 'target', 'many', 'required', 'inverse', 'role']);
/** Field names every generated type has, or that the API uses for itself. */
export const reservedFieldNames = new Set([
  'identifier',
  'title',
  'blueprint',
  'properties',
  'relations',
  'id',
  'meta',
  'impact',
  'reachable',
  'scorecards',
  'runs',
]);
/** Type names taken by GraphQL, @neo4j/graphql or Plexus's own schema. */
const reservedTypeNames = new Set([
  'String',
  'Int',
  'Float',
  'Boolean',
  'ID',
  'JSON',
  'DateTime',
  'Date',
  'Time',
  'LocalTime',
  'LocalDateTime',
  'Duration',
  'BigInt',
  'Point',
  'CartesianPoint',
  'Query',
  'Mutation',
  'Subscription',
  'Entity',
  'PageInfo',
  'Node',
  'Blueprint',
  'EntityInput',
  'EntityRefInput',
  'UpsertResult',
  'DeleteResult',
  'EntityRef',
  'SortDirection',
  'UpsertedEntity',
  'UpsertEntitiesResult',
  'DeleteEntitiesResult',
  'ImpactDirection',
  'ImpactNode',
  'ImpactEdge',
  'ImpactResult',
  'ImpactTeam',
  'ImpactPerson',
  'ImpactSummary',
  'ReachDirection',
  'AggregateGroup',
  'AggregateResult',
  'SearchHit',
  'FoundEntity',
  'EntitySearchResult',
  'EntityScorecard',
  'EntityScorecardRule',
  'ScorecardRuleOutcome',
  'ScorecardResultRow',
  'ScorecardResultPage',
  'JWT',
  'JWTPayloadWhere',
  'ActionRun',
  'ActionRunLog',
  'ActionRunPage',
  'ActionOperation',
]);
/**
 * Root fields of Plexus's own GraphQL schema (graphql/type-defs.ts baseTypeDefs; a unit test
 * keeps the two equal): a blueprint whose generated list field would take one is refused.
 */
export const reservedRootFields = new Set([
  'scorecardDefinitions',
  'scorecardDefinition',
  'scorecardResults',
  'plexusModelVersion',
  'search',
  'findEntities',
  'impact',
  'aggregate',
  'upsertEntities',
  'deleteEntities',
  'createScorecard',
  'replaceScorecard',
  'deleteScorecard',
  'evaluateScorecard',
  'actions',
  'action',
  'runs',
  'run',
  'runAction',
]);
/** Suffixes @neo4j/graphql appends to type names; a blueprint named `<Other><Suffix>` would clash. */
const generatedSuffixes = [
  'Where',
  'Sort',
  'Options',
  'Connection',
  'Edge',
  'Aggregate',
  'AggregateSelection',
  'CreateInput',
  'UpdateInput',
  'ConnectInput',
  'DisconnectInput',
  'DeleteInput',
  'ConnectWhere',
  'Relationship',
  'Response',
  'Info',
  'Input',
  'Selection',
  'Filters',
  'Result',
  'Target',
  'Node',
  'Connections',
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkProperty(name: string, schema: unknown, path: string, out: ErrorDetail[]): void {
  if (!identifierPattern.test(name)) {
    out.push({
      path,
      message: `property name "${name}" must be camelCase letters and digits, starting with a lower-case letter`,
    });
    return;
  }
  if (reservedFieldNames.has(name) || name.startsWith('_')) {
    out.push({ path, message: `property name "${name}" is reserved; choose another name` });
    return;
  }
  if (!isObject(schema)) {
    out.push({ path, message: 'a property must be an object such as {"type": "string"}' });
    return;
  }
  for (const key of Object.keys(schema)) {
    if (!propertyKeywords.has(key)) {
      out.push({
        path: `${path}/${key}`,
        message: `keyword "${key}" is not supported; supported: ${[...propertyKeywords].join(', ')}`,
      });
    }
  }
  const type = schema.type as string;
  if (!propertyTypes.has(type)) {
    out.push({
      path: `${path}/type`,
      message: `type must be one of ${[...propertyTypes].join(', ')}, got ${JSON.stringify(schema.type)}`,
    });
    return;
  }
  if (schema.format !== undefined && (type !== 'string' || !stringFormats.has(schema.format as string))) {
    out.push({
      path: `${path}/format`,
      message: `format applies to strings and must be one of ${[...stringFormats].join(', ')}`,
    });
  }
  if (type === 'array') {
    const items = schema.items;
    if (!isObject(items) || !itemTypes.has(items.type as string)) {
      out.push({
        path: `${path}/items`,
        message: 'an array property needs items: {"type": "string" | "number" | "integer" | "boolean"}',
      });
    }
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || schema.enum.length === 0)) {
    out.push({ path: `${path}/enum`, message: 'enum must be a non-empty list of values' });
  }
  if (schema.pattern !== undefined) {
    try {
      new RegExp(schema.pattern as string, 'u');
    } catch {
      out.push({
        path: `${path}/pattern`,
        message: `pattern ${JSON.stringify(schema.pattern)} is not a valid regular expression`,
      });
    }
  }
  if (out.some((d) => d.path?.startsWith(path))) return;
  try {
    const check = compilePropertySchema(schema as unknown as PropertySchema);
    if (Array.isArray(schema.enum)) {
      schema.enum.forEach((value, i) => {
        if (!check(value))
          out.push({
            path: `${path}/enum/${i}`,
            message: `enum value ${JSON.stringify(value)} is not a valid ${type}`,
          });
      });
    }
    if (schema.default !== undefined && !check(schema.default)) {
      out.push({
        path: `${path}/default`,
        message: `default ${JSON.stringify(schema.default)} does not satisfy the property's own schema`,
      });
    }
  } catch (err) {
    out.push({ path, message: `invalid property schema: ${(err as Error).message}` });
  }
}

/**
 * Checks one blueprint against the model it will be part of (`model` already holds the new
 * version of this and every other blueprint being saved with it). Returns one detail per
 * problem, each with a path into the definition; an empty list means valid.
 */
export function validateBlueprint(input: unknown, model: Model): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  if (!isObject(input)) return [{ path: '', message: 'a blueprint must be a JSON object' }];
  const bp = input as unknown as Blueprint;
  for (const key of Object.keys(input)) {
    if (!blueprintKeys.has(key)) out.push({ path: `/${key}`, message: `unknown key "${key}" in blueprint` });
  }
  if (typeof bp.identifier !== 'string' || !identifierPattern.test(bp.identifier)) {
    out.push({
      path: '/identifier',
      message:
        'identifier must be camelCase letters and digits starting with a lower-case letter (e.g. "cloudResource"), at most 64 characters',
    });
    return out;
  }
  const label = labelOf(bp.identifier);
  if (reservedTypeNames.has(label))
    out.push({ path: '/identifier', message: `"${bp.identifier}" is reserved; choose another identifier` });
  const listField = pluralFieldOf(bp.identifier);
  const taken = [listField, `${listField}Connection`, `${listField}Aggregate`].find((f) =>
    reservedRootFields.has(f),
  );
  if (taken)
    out.push({
      path: '/identifier',
      message: `"${bp.identifier}" would generate the GraphQL field "${taken}", which Plexus uses itself; choose another identifier`,
    });
  for (const other of model.keys()) {
    if (other === bp.identifier) continue;
    const otherLabel = labelOf(other);
    const suffix = generatedSuffixes.find((s) => label === `${otherLabel}${s}`);
    if (suffix)
      out.push({
        path: '/identifier',
        message: `"${bp.identifier}" clashes with the GraphQL type ${otherLabel}${suffix} generated for blueprint "${other}"`,
      });
  }
  if (bp.title !== undefined && typeof bp.title !== 'string')
    out.push({ path: '/title', message: 'title must be a string' });
  if (bp.description !== undefined && typeof bp.description !== 'string')
    out.push({ path: '/description', message: 'description must be a string' });
  if (!isObject(bp.schema) || !isObject(bp.schema.properties)) {
    out.push({ path: '/schema', message: 'schema must be {"properties": {...}, "required": [...]}' });
    return out;
  }
  for (const [name, schema] of Object.entries(bp.schema.properties)) {
    checkProperty(name, schema, `/schema/properties/${name}`, out);
  }
  const required = bp.schema.required ?? [];
  if (!Array.isArray(required))
    out.push({ path: '/schema/required', message: 'required must be a list of property names' });
  else
    required.forEach((r, i) => {
      if (typeof r !== 'string' || !(r in bp.schema.properties)) {
        out.push({
          path: `/schema/required/${i}`,
          message: `required names ${JSON.stringify(r)}, which is not a property of this blueprint`,
        });
      }
    });
  const relations = bp.relations ?? {};
  if (!isObject(relations)) {
    out.push({ path: '/relations', message: 'relations must be an object keyed by relation identifier' });
    return out;
  }
  for (const [name, rel] of Object.entries(relations)) {
    const path = `/relations/${name}`;
    if (!identifierPattern.test(name)) {
      out.push({
        path,
        message: `relation name "${name}" must be camelCase letters and digits, starting with a lower-case letter`,
      });
      continue;
    }
    if (reservedFieldNames.has(name)) out.push({ path, message: `relation name "${name}" is reserved` });
    if (name in bp.schema.properties)
      out.push({ path, message: `"${name}" is both a property and a relation; rename one` });
    if (!isObject(rel)) {
      out.push({ path, message: 'a relation must be an object such as {"target": "team", "many": false}' });
      continue;
    }
    for (const key of Object.keys(rel)) {
      if (!relationKeys.has(key))
        out.push({
          path: `${path}/${key}`,
          message: `unknown key "${key}" in relation; allowed: ${[...relationKeys].join(', ')}`,
        });
    }
    const targets = Array.isArray(rel.target) ? rel.target : [rel.target];
    if (targets.length === 0 || targets.some((t) => typeof t !== 'string')) {
      out.push({
        path: `${path}/target`,
        message: 'target must be a blueprint identifier or a non-empty list of them',
      });
      continue;
    }
    if (new Set(targets).size !== targets.length)
      out.push({ path: `${path}/target`, message: 'target lists a blueprint twice' });
    for (const t of targets) {
      if (!model.has(t as string))
        out.push({
          path: `${path}/target`,
          message: `target blueprint "${t}" does not exist; create it first or in the same request`,
        });
    }
    if (rel.many !== undefined && typeof rel.many !== 'boolean')
      out.push({ path: `${path}/many`, message: 'many must be true or false' });
    if (rel.required !== undefined && typeof rel.required !== 'boolean')
      out.push({ path: `${path}/required`, message: 'required must be true or false' });
    if (
      rel.inverse !== undefined &&
      (typeof rel.inverse !== 'string' || !identifierPattern.test(rel.inverse))
    ) {
      out.push({ path: `${path}/inverse`, message: 'inverse must be a camelCase name' });
    }
    if (rel.role !== undefined && !(relationRoles as readonly unknown[]).includes(rel.role))
      out.push({ path: `${path}/role`, message: `role must be one of ${relationRoles.join(', ')} (default other)` });
  }
  const calculated = bp.calculated ?? {};
  if (!isObject(calculated))
    out.push({ path: '/calculated', message: 'calculated must be an object keyed by property name' });
  else {
    for (const [name, calc] of Object.entries(calculated)) {
      const path = `/calculated/${name}`;
      if (!identifierPattern.test(name) || reservedFieldNames.has(name)) {
        out.push({
          path,
          message: `calculated property name "${name}" must be a camelCase name that is not reserved`,
        });
        continue;
      }
      if (name in bp.schema.properties || name in relations)
        out.push({ path, message: `"${name}" is already a property or relation of this blueprint` });
      if (!isObject(calc)) {
        out.push({
          path,
          message: 'a calculated property is {"type": "integer", "cypher": "COUNT { (e)<-[:AFFECTS]-() }"}',
        });
        continue;
      }
      if (!['string', 'number', 'integer', 'boolean'].includes(calc.type as string))
        out.push({ path: `${path}/type`, message: 'type must be string, number, integer or boolean' });
      if (typeof calc.cypher !== 'string' || calc.cypher.trim() === '' || calc.cypher.length > 2000) {
        out.push({
          path: `${path}/cypher`,
          message: 'cypher must be a non-empty expression over the entity `e` (at most 2000 characters)',
        });
      }
      if (calc.allowUnknown !== undefined && typeof calc.allowUnknown !== 'boolean')
        out.push({ path: `${path}/allowUnknown`, message: 'allowUnknown must be true or false' });
      for (const key of Object.keys(calc))
        if (!['title', 'description', 'type', 'cypher', 'allowUnknown'].includes(key))
          out.push({ path: `${path}/${key}`, message: `unknown key "${key}"` });
    }
  }
  out.push(...checkPermissions(bp.permissions, bp));
  out.push(...checkFieldClashes(bp, model));
  return out;
}

/**
 * Every generated type's fields must be unique: its properties, its relations and the inverse
 * fields other blueprints' relations put on it. Reports clashes that involve `bp`.
 */
function checkFieldClashes(bp: Blueprint, model: Model): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const fields = new Map<string, Map<string, string>>();
  for (const b of model.values()) {
    const f = new Map<string, string>();
    for (const name of ['identifier', 'title']) f.set(name, 'a built-in field');
    for (const name of Object.keys(b.schema?.properties ?? {})) f.set(name, `property "${name}"`);
    for (const name of Object.keys(b.relations ?? {})) f.set(name, `relation "${name}"`);
    for (const name of Object.keys(b.calculated ?? {})) f.set(name, `calculated property "${name}"`);
    fields.set(b.identifier, f);
  }
  for (const source of model.values()) {
    for (const [name, rel] of Object.entries(source.relations ?? {})) {
      if (!rel || typeof rel !== 'object') continue;
      const field = inverseFieldOf(source, name, rel);
      for (const target of targetsOf(rel)) {
        const f = fields.get(target);
        if (!f) continue;
        const taken = f.get(field);
        const what = `the inverse field "${field}" of ${source.identifier}.${name}`;
        if (taken && (source.identifier === bp.identifier || target === bp.identifier)) {
          out.push({
            path: source.identifier === bp.identifier ? `/relations/${name}/inverse` : '/',
            message: `${what} clashes on blueprint "${target}" with ${taken}; set a different "inverse"`,
          });
        }
        f.set(field, what);
      }
    }
  }
  return out;
}
