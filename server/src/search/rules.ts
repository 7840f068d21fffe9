import {
  type GroupRule,
  labelOf,
  type Model,
  operators,
  type PropertyRule,
  type PropertySchema,
  type ReachableRule,
  type RelationRule,
  type Rule,
  relTypeOf,
  type ScorecardLevelRule,
  targetsOf,
} from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { scopeParams, visiblePredicate } from '../auth/read-scope-cypher.ts';
import { escapeName } from '../db/cypher-names.ts';
import { cursorOf, decodeCursor } from '../db/pages.ts';
import { type ErrorDetail, ValidationError } from '../errors.ts';
import { calculatedExpression } from '../model/blueprint-store.ts';

/** Deepest `reachable` walk: every hop multiplies the paths Neo4j expands. */
export const maxReachDepth = 6;

/**
 * Relationship types for a list of relation names, each checked against the model; no list
 * means the relations of role `dependency` (every relation when the model has none).
 * Returns the problem as a message instead of types when a name is unknown.
 */
export function reachTypes(model: Model, relations: unknown): { types: string[] } | { problem: string } {
  const all = new Map<string, string>();
  const dependency = new Set<string>();
  for (const bp of model.values()) {
    for (const [name, rel] of Object.entries(bp.relations ?? {})) {
      all.set(name, relTypeOf(name));
      if (rel.role === 'dependency') dependency.add(name);
    }
  }
  if (relations === undefined || relations === null) {
    return { types: [...new Set([...(dependency.size > 0 ? dependency : all.keys())].map((n) => all.get(n) as string))] };
  }
  if (!Array.isArray(relations) || relations.length === 0 || relations.some((r) => typeof r !== 'string')) {
    return { problem: 'relations must be a non-empty list of relation identifiers' };
  }
  const unknown = relations.filter((r) => !all.has(r));
  if (unknown.length > 0) {
    return { problem: `unknown relation ${unknown.map((r) => `"${r}"`).join(', ')}; known relations include ${[...all.keys()].slice(0, 8).join(', ')}` };
  }
  return { types: [...new Set(relations.map((r) => all.get(r) as string))] };
}

/** A structured search as posted to `POST /api/v1/search`. */
export interface SearchRequest {
  blueprint?: string;
  combinator?: 'and' | 'or';
  rules?: Rule[];
  limit?: number;
  cursor?: string | null;
}

/** Compiled search: Cypher text (names escaped, values parameters) and its parameters. */
export interface CompiledSearch {
  query: string;
  params: Record<string, unknown>;
  limit: number;
}

const builtIn: Record<string, PropertySchema> = { identifier: { type: 'string' }, title: { type: 'string' } };
const ordered = new Set(['number', 'integer', 'string']);
const maxDepth = 10;
/** How deep groups and relation rules may nest, and how many rules one search may hold: each is a subquery. */
const maxNesting = 8;
const maxRules = 200;

interface Scope {
  variable: string;
  /** Blueprints the variable may be (all when undefined). */
  blueprints: string[] | undefined;
  path: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Compiles the rules language of API.md into one parameterised Cypher query. Property and
 * relation names are checked against the model and quoted by `escapeName`; every value is a
 * parameter; depths are checked integers. Problems become one 422 with a detail per rule.
 * With a restricted `readScope` (authorize.ts) only readable entities match, count in relation
 * rules (every node on a multi-hop path included) or show as relation targets.
 */
export function compileSearch(model: Model, request: SearchRequest, readScope?: ReadScope): CompiledSearch {
  const { match, where, params, details, restricted, visible } = compileFilter(model, request, readScope);
  const limit = request.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) details.push({ path: '/limit', message: 'limit must be an integer from 1 to 1000' });
  if (details.length > 0) throw new ValidationError(`the search has ${details.length} problem${details.length > 1 ? 's' : ''}`, details);
  let after = 'true';
  if (request.cursor) {
    const parsed = decodeCursor(request.cursor, 2);
    if (!parsed) throw new ValidationError('bad cursor', [{ path: '/cursor', message: 'cursor is not valid; pass "next" from the previous page' }]);
    params.afterBlueprint = parsed[0];
    params.afterIdentifier = parsed[1];
    after = '(n._blueprint > $afterBlueprint OR (n._blueprint = $afterBlueprint AND n.identifier > $afterIdentifier))';
  }
  params.limit = neo4j.int(limit + 1);
  // A restricted caller sees relations to readable entities only; pending ones name no entity they could read.
  const rels = restricted
    ? `[(n)-[r]->(t:Entity) WHERE ${visible('t')} | [type(r), t._blueprint, t.identifier]] AS rels`
    : '[(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] + [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels';
  const query = [
    match,
    `WHERE ${after} AND ${where}`,
    'WITH n ORDER BY n._blueprint, n.identifier LIMIT $limit',
    `RETURN properties(n) AS props, ${rels}`,
  ].join('\n');
  return { query, params, limit };
}

/**
 * The matching part of a search: `MATCH (n...)` and a WHERE condition over `n` (readability
 * included) with its parameters, and the problems found (not thrown: callers add their own).
 * Search and aggregations share it.
 */
export function compileFilter(
  model: Model,
  request: Pick<SearchRequest, 'blueprint' | 'combinator' | 'rules'>,
  readScope?: ReadScope,
): {
  match: string;
  where: string;
  params: Record<string, unknown>;
  details: ErrorDetail[];
  restricted: boolean;
  visible: (variable: string) => string;
} {
  const details: ErrorDetail[] = [];
  const params: Record<string, unknown> = {};
  // Entities the caller may not read neither match, nor count in relation rules, nor show as relation targets.
  const restricted = readScope !== undefined && !readScope.unrestricted;
  if (restricted) Object.assign(params, scopeParams(readScope));
  const visible = (variable: string) => (restricted ? visiblePredicate(variable, readScope) : 'true');
  let counter = 0;
  let vars = 0;
  const param = (value: unknown) => {
    const name = `p${counter++}`;
    params[name] = value;
    return `$${name}`;
  };
  const fail = (path: string, message: string) => {
    details.push({ path, message });
    return 'false';
  };

  /** The property's schema and how to read it: a stored property, or a calculated expression. */
  const findProperty = (scope: Scope, name: string): { schema: PropertySchema; read: string } | null => {
    // Only names found in the model reach escapeName (which throws on anything else: a 500, not a 422).
    const stored = () => `${scope.variable}.${escapeName(name)}`;
    if (builtIn[name]) return { schema: builtIn[name], read: stored() };
    const candidates = scope.blueprints ?? [...model.keys()];
    for (const bp of candidates) {
      const p = model.get(bp)?.schema.properties[name];
      if (p) return { schema: p, read: stored() };
    }
    for (const bp of candidates) {
      const c = model.get(bp)?.calculated?.[name];
      // Checked read-only when the blueprint was saved; bound to this rule's variable.
      if (c) return { schema: { type: c.type }, read: calculatedExpression(scope.variable, c.cypher) };
    }
    return null;
  };

  const typedValue = (schema: PropertySchema, value: unknown, path: string): unknown => {
    const type = schema.type === 'array' ? (schema.items?.type ?? 'string') : schema.type;
    const ok =
      (type === 'string' && typeof value === 'string') ||
      (type === 'boolean' && typeof value === 'boolean') ||
      (type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
      (type === 'integer' && Number.isInteger(value));
    if (!ok) {
      fail(path, `value ${JSON.stringify(value)} is not a valid ${type}`);
      return null;
    }
    return type === 'integer' ? neo4j.int(value as number) : value;
  };

  const propertyRule = (rule: PropertyRule, scope: Scope, path: string): string => {
    if (typeof rule.property !== 'string') return fail(path, 'property must be a string');
    const found = findProperty(scope, rule.property);
    if (!found) {
      return fail(`${path}/property`, `unknown property "${rule.property}"${scope.blueprints ? ` on ${scope.blueprints.join(', ')}` : ''}`);
    }
    if (!operators.includes(rule.operator)) return fail(`${path}/operator`, `operator must be one of ${operators.join(', ')}`);
    const { schema, read: v } = found;
    const isArray = schema.type === 'array';
    const op = rule.operator;
    if (op === 'isEmpty' || op === 'isNotEmpty') {
      const empty = isArray ? `size(coalesce(${v}, [])) = 0` : schema.type === 'string' ? `coalesce(${v}, '') = ''` : `${v} IS NULL`;
      return op === 'isEmpty' ? `(${empty})` : `(NOT ${empty})`;
    }
    if (schema.type === 'object') return fail(`${path}/operator`, `object property "${rule.property}" supports only isEmpty and isNotEmpty`);
    const vpath = `${path}/value`;
    if (op === 'in' || op === 'notIn') {
      if (!Array.isArray(rule.value)) return fail(vpath, `${op} needs a list of values`);
      const list = param(rule.value.map((x, i) => typedValue(schema, x, `${vpath}/${i}`)));
      const test = isArray ? `any(x IN coalesce(${v}, []) WHERE x IN ${list})` : `${v} IN ${list}`;
      return op === 'in' ? `(${test})` : `(NOT coalesce(${test}, false))`;
    }
    if (op === 'between') {
      if (!Array.isArray(rule.value) || rule.value.length !== 2) return fail(vpath, 'between needs [low, high]');
      if (!ordered.has(schema.type)) return fail(`${path}/operator`, `between does not apply to ${schema.type} properties`);
      return `(${v} >= ${param(typedValue(schema, rule.value[0], `${vpath}/0`))} AND ${v} <= ${param(typedValue(schema, rule.value[1], `${vpath}/1`))})`;
    }
    if (op === 'contains') {
      if (isArray) return `(${param(typedValue(schema, rule.value, vpath))} IN coalesce(${v}, []))`;
      if (schema.type !== 'string') return fail(`${path}/operator`, 'contains applies to strings and arrays');
      return `(${v} CONTAINS ${param(typedValue(schema, rule.value, vpath))})`;
    }
    if (op === 'beginsWith' || op === 'endsWith') {
      if (schema.type !== 'string') return fail(`${path}/operator`, `${op} applies to strings`);
      return `(${v} ${op === 'beginsWith' ? 'STARTS WITH' : 'ENDS WITH'} ${param(typedValue(schema, rule.value, vpath))})`;
    }
    if (isArray) return fail(`${path}/operator`, `${op} does not apply to array properties; use contains, in, notIn, isEmpty`);
    if (op === '=' ) return `(${v} = ${param(typedValue(schema, rule.value, vpath))})`;
    if (op === '!=') return `(${v} IS NULL OR ${v} <> ${param(typedValue(schema, rule.value, vpath))})`;
    if (!ordered.has(schema.type)) return fail(`${path}/operator`, `${op} does not apply to ${schema.type} properties`);
    return `(${v} ${op} ${param(typedValue(schema, rule.value, vpath))})`;
  };

  const relationRule = (rule: RelationRule, scope: Scope, path: string): string => {
    const direction = rule.direction ?? 'outgoing';
    if (direction !== 'outgoing' && direction !== 'incoming') return fail(`${path}/direction`, 'direction must be outgoing or incoming');
    const depth = rule.depth ?? 1;
    if (!Number.isInteger(depth) || depth < 1 || depth > maxDepth) return fail(`${path}/depth`, `depth must be an integer from 1 to ${maxDepth}`);
    const candidates = scope.blueprints ?? [...model.keys()];
    const far = new Set<string>();
    let known = false;
    for (const bp of model.values()) {
      const def = bp.relations?.[rule.relation];
      if (!def) continue;
      known = true;
      if (direction === 'outgoing' && candidates.includes(bp.identifier)) for (const t of targetsOf(def)) far.add(t);
      if (direction === 'incoming' && targetsOf(def).some((t) => candidates.includes(t))) far.add(bp.identifier);
    }
    if (!known) return fail(`${path}/relation`, `unknown relation "${rule.relation}"`);
    if (far.size === 0) return fail(`${path}/relation`, `relation "${rule.relation}" does not ${direction === 'outgoing' ? 'start at' : 'point at'} ${candidates.join(', ')}`);
    if (rule.blueprint !== undefined && !far.has(rule.blueprint)) {
      return fail(`${path}/blueprint`, `relation "${rule.relation}" (${direction}) reaches ${[...far].join(', ')}, not "${rule.blueprint}"`);
    }
    const m = `m${++vars}`;
    const type = escapeName(relTypeOf(rule.relation));
    const hops = depth === 1 ? '' : `*1..${depth}`;
    const pattern = direction === 'outgoing' ? `(${scope.variable})-[:${type}${hops}]->(${m}:Entity)` : `(${scope.variable})<-[:${type}${hops}]-(${m}:Entity)`;
    const where: string[] = [];
    // Over several hops every node on the way must be readable too, or a rule could probe through a hidden one.
    const walked = `q${m.slice(1)}`;
    const walk = `w${m.slice(1)}`;
    if (restricted) where.push(depth === 1 ? visible(m) : `all(${walk} IN nodes(${walked}) WHERE ${visible(walk)})`);
    const farBlueprints = depth === 1 ? (rule.blueprint ? [rule.blueprint] : [...far]) : rule.blueprint ? [rule.blueprint] : undefined;
    if (rule.blueprint) where.push(`${m}._blueprint = ${param(rule.blueprint)}`);
    if (rule.identifier !== undefined) {
      if (typeof rule.identifier !== 'string') fail(`${path}/identifier`, 'identifier must be a string');
      else where.push(`${m}.identifier = ${param(rule.identifier)}`);
    }
    if (rule.rules !== undefined) {
      where.push(group({ combinator: rule.combinator ?? 'and', rules: rule.rules }, { variable: m, blueprints: farBlueprints, path }, path));
    }
    const named = restricted && depth > 1 ? `${walked} = ${pattern}` : pattern;
    return `EXISTS { MATCH ${named}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} }`;
  };

  const reachableRule = (outer: ReachableRule, scope: Scope, path: string): string => {
    const rule = outer.reachable;
    path = `${path}/reachable`;
    if (!isObject(rule)) return fail(path, 'reachable must be an object such as {"relations": ["dependsOn"], "depth": 3}');
    const direction = rule.direction ?? 'outgoing';
    if (!['outgoing', 'incoming', 'both'].includes(direction)) return fail(`${path}/direction`, 'direction must be outgoing, incoming or both');
    const depth = rule.depth ?? 1;
    if (!Number.isInteger(depth) || depth < 1 || depth > maxReachDepth) return fail(`${path}/depth`, `depth must be an integer from 1 to ${maxReachDepth}`);
    const reach = reachTypes(model, rule.relations);
    if ('problem' in reach) return fail(`${path}/relations`, reach.problem);
    if (reach.types.length === 0) return 'false';
    if (rule.blueprint !== undefined && (typeof rule.blueprint !== 'string' || !model.has(rule.blueprint))) {
      return fail(`${path}/blueprint`, `unknown blueprint ${JSON.stringify(rule.blueprint)}`);
    }
    const m = `m${++vars}`;
    const types = reach.types.map(escapeName).join('|');
    const hops = `*1..${depth}`;
    const rel = `[:${types}${hops}]`;
    const pattern =
      direction === 'outgoing' ? `(${scope.variable})-${rel}->(${m}:Entity)` : direction === 'incoming' ? `(${scope.variable})<-${rel}-(${m}:Entity)` : `(${scope.variable})-${rel}-(${m}:Entity)`;
    const walked = `q${m.slice(1)}`;
    const walk = `w${m.slice(1)}`;
    const where: string[] = [];
    // Every node on the way must be readable too, or a rule could probe through a hidden one.
    if (restricted) where.push(`all(${walk} IN nodes(${walked}) WHERE ${visible(walk)})`);
    if (rule.blueprint) where.push(`${m}._blueprint = ${param(rule.blueprint)}`);
    if (rule.identifier !== undefined) {
      if (typeof rule.identifier !== 'string') fail(`${path}/identifier`, 'identifier must be a string');
      else where.push(`${m}.identifier = ${param(rule.identifier)}`);
    }
    if (rule.rules !== undefined) {
      where.push(group({ combinator: rule.combinator ?? 'and', rules: rule.rules }, { variable: m, blueprints: rule.blueprint ? [rule.blueprint] : undefined, path }, path));
    }
    return `EXISTS { MATCH ${restricted ? `${walked} = ` : ''}${pattern}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} }`;
  };

  const scorecardLevelRule = (rule: ScorecardLevelRule, scope: Scope, path: string): string => {
    if (typeof rule.scorecard !== 'string' || rule.scorecard === '') return fail(`${path}/scorecard`, 'scorecard must be a scorecard identifier');
    const comparisons: [keyof ScorecardLevelRule, string][] = [
      ['level', '='],
      ['below', '<'],
      ['atLeast', '>='],
    ];
    const where: string[] = [];
    const r = `sr${++vars}`;
    const s = `sc${vars}`;
    for (const [key, op] of comparisons) {
      const name = rule[key];
      if (name === undefined) continue;
      if (typeof name !== 'string' || name === '') return fail(`${path}/${key}`, `${key} must be a level name of the scorecard`);
      // The index of the named level in the scorecard's own list, ignoring case (levels.ts levelIndexOf).
      where.push(`${r}.levelIndex ${op} coalesce([i IN range(0, size(${s}.levels) - 1) WHERE toLower(${s}.levels[i]) = ${param(name.toLowerCase())}][0], -1)`);
    }
    if (where.length === 0) return fail(path, 'a scorecard rule needs "level", "below" or "atLeast"');
    const sc = param(rule.scorecard);
    return `EXISTS { MATCH (${scope.variable})<-[:_SCORES]-(${r}:_ScoreResult {scorecard: ${sc}}) MATCH (${s}:_Scorecard {identifier: ${sc}}) WHERE ${where.join(' AND ')} }`;
  };

  let ruleCount = 0;
  const one = (rule: unknown, scope: Scope, path: string): string => {
    if (++ruleCount > maxRules) return ruleCount === maxRules + 1 ? fail(path, `a search may hold at most ${maxRules} rules; split it`) : 'false';
    if (path.split('/rules/').length - 1 > maxNesting) return fail(path, `rules may nest at most ${maxNesting} levels deep`);
    if (!isObject(rule)) return fail(path, 'a rule must be an object');
    if ('property' in rule) return propertyRule(rule as unknown as PropertyRule, scope, path);
    if ('relation' in rule) return relationRule(rule as unknown as RelationRule, scope, path);
    if ('reachable' in rule) return reachableRule(rule as unknown as ReachableRule, scope, path);
    if ('rules' in rule) return group(rule as unknown as GroupRule, scope, path);
    if ('scorecard' in rule) return scorecardLevelRule(rule as unknown as ScorecardLevelRule, scope, path);
    return fail(path, 'a rule needs "property", "relation", "reachable", "scorecard" or "rules"');
  };

  const group = (g: GroupRule, scope: Scope, path: string): string => {
    const combinator = g.combinator ?? 'and';
    if (combinator !== 'and' && combinator !== 'or') return fail(`${path}/combinator`, 'combinator must be "and" or "or"');
    if (!Array.isArray(g.rules)) return fail(`${path}/rules`, 'rules must be a list');
    if (g.rules.length === 0) return 'true';
    const parts = g.rules.map((r, i) => one(r, scope, `${path}/rules/${i}`));
    return `(${parts.join(combinator === 'and' ? ' AND ' : ' OR ')})`;
  };

  if (request.blueprint !== undefined && !model.has(request.blueprint)) {
    throw new ValidationError('unknown blueprint', [{ path: '/blueprint', message: `unknown blueprint "${request.blueprint}"` }]);
  }
  const scope: Scope = { variable: 'n', blueprints: request.blueprint ? [request.blueprint] : undefined, path: '' };
  const where = group({ combinator: request.combinator ?? 'and', rules: request.rules ?? [] }, scope, '');
  const match = request.blueprint ? `MATCH (n:${escapeName(labelOf(request.blueprint))})` : 'MATCH (n:Entity)';
  return { match, where: `${where}${restricted ? ` AND ${visible('n')}` : ''}`, params, details, restricted, visible };
}

/** Cursor for the page after the given entity. */
export function searchCursor(blueprint: string, identifier: string): string {
  return cursorOf([blueprint, identifier]);
}
