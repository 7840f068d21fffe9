import Cypher from '@neo4j/cypher-builder';
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
import { readable } from '../auth/read-scope-cypher.ts';
import { cursorOf, decodeCursor } from '../db/pages.ts';
import { type ErrorDetail, ValidationError } from '../errors.ts';
import { calculatedValue } from '../model/blueprint-store.ts';

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

/**
 * The rules of a search compiled to one cypher-builder predicate over `node`, which any query
 * that binds `node` wraps (the search itself, aggregations, reachability, scorecards); its values
 * are `Cypher.Param`s, named when the wrapping query is built, so predicates compose without
 * renaming.
 */
export interface SearchFilter {
  /** The variable the rules read. */
  node: Cypher.Node;
  /** The label `node` carries: the blueprint's, or `Entity` when the search names none. */
  label: string;
  /** The rules' boolean over `node`, readability included when the read scope is restricted. */
  predicate: Cypher.Predicate;
  /** Problems found, one per rule (not thrown: callers add their own). */
  details: ErrorDetail[];
  /** True when the read scope hides some entities. */
  restricted: boolean;
  /** The read scope's predicate for another variable (`true` when not restricted). */
  visible(variable: Cypher.Variable): Cypher.Predicate;
}

const builtIn: Record<string, PropertySchema> = { identifier: { type: 'string' }, title: { type: 'string' } };
const ordered = new Set(['number', 'integer', 'string']);
const maxDepth = 10;
/** How deep groups and relation rules may nest, and how many rules one search may hold: each is a subquery. */
const maxNesting = 8;
const maxRules = 200;

interface Scope {
  variable: Cypher.Variable;
  /** Blueprints the variable may be (all when undefined). */
  blueprints: string[] | undefined;
  path: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `coalesce(test, false)`: a boolean function call, which the builder does not type as a predicate. */
function orFalse(test: Cypher.Predicate): Cypher.Predicate {
  return Cypher.coalesce(test, Cypher.false) as unknown as Cypher.Predicate;
}

/** `and` of the parts, or `true` when there are none. */
function allOf(parts: Cypher.Predicate[]): Cypher.Predicate {
  return Cypher.and(...parts) ?? Cypher.true;
}

/**
 * Compiles the rules language of API.md into one parameterised Cypher query: `compileFilter`'s
 * predicate wrapped in the search's match, cursor, order and page. Problems become one 422 with
 * a detail per rule. With a restricted `readScope` (authorize.ts) only readable entities match,
 * count in relation rules (every node on a multi-hop path included) or show as relation targets.
 */
export function compileSearch(model: Model, request: SearchRequest, readScope?: ReadScope): CompiledSearch {
  const filter = compileFilter(model, request, readScope);
  const { details, node: n } = filter;
  const limit = request.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) details.push({ path: '/limit', message: 'limit must be an integer from 1 to 1000' });
  if (details.length > 0) throw new ValidationError(`the search has ${details.length} problem${details.length > 1 ? 's' : ''}`, details);
  const where: Cypher.Predicate[] = [];
  // One blueprint's entities are matched by the entity key (the unique index on (:Entity)
  // (_blueprint, identifier)), which the planner reads in this query's order and stops at the
  // page's end; `identifier IS NOT NULL` (always true) lets it use the index without a rule on
  // the identifier. Blueprints have no index of their own (migration 0015).
  const byKey = request.blueprint !== undefined;
  if (request.cursor) {
    const parsed = decodeCursor(request.cursor, 2);
    if (!parsed) throw new ValidationError('bad cursor', [{ path: '/cursor', message: 'cursor is not valid; pass "next" from the previous page' }]);
    const afterBlueprint = new Cypher.Param(parsed[0]);
    where.push(
      Cypher.or(
        Cypher.gt(n.property('_blueprint'), afterBlueprint),
        Cypher.and(Cypher.eq(n.property('_blueprint'), afterBlueprint), Cypher.gt(n.property('identifier'), new Cypher.Param(parsed[1]))),
      ),
    );
  }
  where.push(filter.predicate);
  if (byKey) where.push(Cypher.eq(n.property('_blueprint'), new Cypher.Param(request.blueprint)), Cypher.isNotNull(n.property('identifier')));
  // A restricted caller sees relations to readable entities only; pending ones name no entity they could read.
  const r = new Cypher.Relationship();
  const t = new Cypher.Node();
  const related = new Cypher.PatternComprehension(new Cypher.Pattern(n).related(r).to(t, { labels: ['Entity'] })).map(
    new Cypher.List([Cypher.type(r), t.property('_blueprint'), t.property('identifier')]),
  );
  let rels: Cypher.Expr;
  if (filter.restricted) rels = related.where(filter.visible(t));
  else {
    const p = new Cypher.Node();
    const pending = new Cypher.PatternComprehension(new Cypher.Pattern(n).related({ type: '_PENDING_TO' }).to(p, { labels: ['_Pending'] })).map(
      new Cypher.List([p.property('type'), p.property('targetBlueprint'), p.property('targetIdentifier')]),
    );
    rels = Cypher.plus(related, pending);
  }
  const { cypher, params } = new Cypher.Match(new Cypher.Pattern(n, { labels: [byKey ? 'Entity' : filter.label] }))
    .where(allOf(where))
    .with(n)
    .orderBy(n.property('_blueprint'), n.property('identifier'))
    .limit(new Cypher.Param(neo4j.int(limit + 1)))
    .return([Cypher.properties(n), 'props'], [rels, 'rels'])
    .build();
  return { query: cypher, params, limit };
}

/**
 * The matching part of a search: the label of `n` and the rules' predicate over it (readability
 * included), with the problems found. Property and relation names are checked against the model
 * and quoted by the builder; every value is a parameter; depths are checked integers.
 * Search, aggregations, reachability and scorecards wrap it.
 * @example new Cypher.Match(new Cypher.Pattern(f.node, { labels: [f.label] })).where(f.predicate).return(f.node)
 */
export function compileFilter(
  model: Model,
  request: Pick<SearchRequest, 'blueprint' | 'combinator' | 'rules'>,
  readScope?: ReadScope,
): SearchFilter {
  const details: ErrorDetail[] = [];
  // Entities the caller may not read neither match, nor count in relation rules, nor show as relation targets.
  const restricted = readScope !== undefined && !readScope.unrestricted;
  const visible = (variable: Cypher.Variable): Cypher.Predicate => (restricted ? readable(variable, readScope) : Cypher.true);
  const param = (value: unknown) => new Cypher.Param(value);
  const fail = (path: string, message: string): Cypher.Predicate => {
    details.push({ path, message });
    return Cypher.false;
  };

  /** The property's schema and how to read it: a stored property, or a calculated expression. */
  const findProperty = (scope: Scope, name: string): { schema: PropertySchema; read: Cypher.Expr } | null => {
    // Only names found in the model reach the query (the builder quotes them).
    const stored = () => scope.variable.property(name);
    if (builtIn[name]) return { schema: builtIn[name], read: stored() };
    const candidates = scope.blueprints ?? [...model.keys()];
    for (const bp of candidates) {
      const p = model.get(bp)?.schema.properties[name];
      if (p) return { schema: p, read: stored() };
    }
    for (const bp of candidates) {
      const c = model.get(bp)?.calculated?.[name];
      // Checked read-only when the blueprint was saved; bound to this rule's variable.
      if (c) return { schema: { type: c.type }, read: calculatedValue(scope.variable, c.cypher) };
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

  const comparisons = { '>': Cypher.gt, '>=': Cypher.gte, '<': Cypher.lt, '<=': Cypher.lte } as const;

  const propertyRule = (rule: PropertyRule, scope: Scope, path: string): Cypher.Predicate => {
    if (typeof rule.property !== 'string') return fail(path, 'property must be a string');
    const found = findProperty(scope, rule.property);
    if (!found) {
      return fail(`${path}/property`, `unknown property "${rule.property}"${scope.blueprints ? ` on ${scope.blueprints.join(', ')}` : ''}`);
    }
    if (!operators.includes(rule.operator)) return fail(`${path}/operator`, `operator must be one of ${operators.join(', ')}`);
    const { schema, read: v } = found;
    const isArray = schema.type === 'array';
    const orEmpty = () => Cypher.coalesce(v, new Cypher.List([]));
    const op = rule.operator;
    if (op === 'isEmpty' || op === 'isNotEmpty') {
      const empty = isArray
        ? Cypher.eq(Cypher.size(orEmpty()), new Cypher.Literal(0))
        : schema.type === 'string'
          ? Cypher.eq(Cypher.coalesce(v, new Cypher.Literal('')), new Cypher.Literal(''))
          : Cypher.isNull(v);
      return op === 'isEmpty' ? empty : Cypher.not(empty);
    }
    if (schema.type === 'object') return fail(`${path}/operator`, `object property "${rule.property}" supports only isEmpty and isNotEmpty`);
    const vpath = `${path}/value`;
    if (op === 'in' || op === 'notIn') {
      if (!Array.isArray(rule.value)) return fail(vpath, `${op} needs a list of values`);
      const list = param(rule.value.map((x, i) => typedValue(schema, x, `${vpath}/${i}`)));
      const x = new Cypher.Variable();
      const test = isArray ? Cypher.any(x, orEmpty(), Cypher.in(x, list)) : Cypher.in(v, list);
      return op === 'in' ? test : Cypher.not(orFalse(test));
    }
    if (op === 'between') {
      if (!Array.isArray(rule.value) || rule.value.length !== 2) return fail(vpath, 'between needs [low, high]');
      if (!ordered.has(schema.type)) return fail(`${path}/operator`, `between does not apply to ${schema.type} properties`);
      return Cypher.and(Cypher.gte(v, param(typedValue(schema, rule.value[0], `${vpath}/0`))), Cypher.lte(v, param(typedValue(schema, rule.value[1], `${vpath}/1`))));
    }
    if (op === 'contains') {
      if (isArray) return Cypher.in(param(typedValue(schema, rule.value, vpath)), orEmpty());
      if (schema.type !== 'string') return fail(`${path}/operator`, 'contains applies to strings and arrays');
      return Cypher.contains(v, param(typedValue(schema, rule.value, vpath)));
    }
    if (op === 'beginsWith' || op === 'endsWith') {
      if (schema.type !== 'string') return fail(`${path}/operator`, `${op} applies to strings`);
      return (op === 'beginsWith' ? Cypher.startsWith : Cypher.endsWith)(v, param(typedValue(schema, rule.value, vpath)));
    }
    if (isArray) return fail(`${path}/operator`, `${op} does not apply to array properties; use contains, in, notIn, isEmpty`);
    if (op === '=') return Cypher.eq(v, param(typedValue(schema, rule.value, vpath)));
    if (op === '!=') return Cypher.or(Cypher.isNull(v), Cypher.neq(v, param(typedValue(schema, rule.value, vpath))));
    if (!ordered.has(schema.type)) return fail(`${path}/operator`, `${op} does not apply to ${schema.type} properties`);
    return comparisons[op](v, param(typedValue(schema, rule.value, vpath)));
  };

  /** Conditions on the far end `m` of a relation or reachable rule: its blueprint, identifier and nested rules. */
  const farEnd = (
    rule: { blueprint?: string; identifier?: unknown; combinator?: 'and' | 'or'; rules?: Rule[] },
    m: Cypher.Node,
    blueprints: string[] | undefined,
    path: string,
  ): Cypher.Predicate[] => {
    const where: Cypher.Predicate[] = [];
    if (rule.blueprint) where.push(Cypher.eq(m.property('_blueprint'), param(rule.blueprint)));
    if (rule.identifier !== undefined) {
      if (typeof rule.identifier !== 'string') fail(`${path}/identifier`, 'identifier must be a string');
      else where.push(Cypher.eq(m.property('identifier'), param(rule.identifier)));
    }
    if (rule.rules !== undefined) where.push(group({ combinator: rule.combinator ?? 'and', rules: rule.rules }, { variable: m, blueprints, path }, path));
    return where;
  };

  /** `EXISTS { MATCH [walked =] pattern WHERE ... }`; every node on a walk must be readable, or a rule could probe through a hidden one. */
  const existsWalk = (pattern: Cypher.Pattern, walked: Cypher.PathVariable | null, where: Cypher.Predicate[]): Cypher.Predicate => {
    const match = new Cypher.Match(walked ? pattern.assignTo(walked) : pattern);
    return new Cypher.Exists(where.length > 0 ? match.where(allOf(where)) : match);
  };

  const allVisible = (walked: Cypher.PathVariable): Cypher.Predicate => {
    const w = new Cypher.Variable();
    return Cypher.all(w, Cypher.nodes(walked), visible(w));
  };

  const relationRule = (rule: RelationRule, scope: Scope, path: string): Cypher.Predicate => {
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
    const m = new Cypher.Node();
    const pattern = new Cypher.Pattern(scope.variable)
      .related({ type: relTypeOf(rule.relation), direction: direction === 'outgoing' ? 'right' : 'left', ...(depth === 1 ? {} : { length: { min: 1, max: depth } }) })
      .to(m, { labels: ['Entity'] });
    const walked = restricted && depth > 1 ? new Cypher.PathVariable() : null;
    const where: Cypher.Predicate[] = [];
    if (restricted) where.push(walked ? allVisible(walked) : visible(m));
    const farBlueprints = depth === 1 ? (rule.blueprint ? [rule.blueprint] : [...far]) : rule.blueprint ? [rule.blueprint] : undefined;
    where.push(...farEnd(rule, m, farBlueprints, path));
    return existsWalk(pattern, walked, where);
  };

  const reachableRule = (outer: ReachableRule, scope: Scope, path: string): Cypher.Predicate => {
    const rule = outer.reachable;
    path = `${path}/reachable`;
    if (!isObject(rule)) return fail(path, 'reachable must be an object such as {"relations": ["dependsOn"], "depth": 3}');
    const direction = rule.direction ?? 'outgoing';
    if (!['outgoing', 'incoming', 'both'].includes(direction)) return fail(`${path}/direction`, 'direction must be outgoing, incoming or both');
    const depth = rule.depth ?? 1;
    if (!Number.isInteger(depth) || depth < 1 || depth > maxReachDepth) return fail(`${path}/depth`, `depth must be an integer from 1 to ${maxReachDepth}`);
    const reach = reachTypes(model, rule.relations);
    if ('problem' in reach) return fail(`${path}/relations`, reach.problem);
    if (reach.types.length === 0) return Cypher.false;
    if (rule.blueprint !== undefined && (typeof rule.blueprint !== 'string' || !model.has(rule.blueprint))) {
      return fail(`${path}/blueprint`, `unknown blueprint ${JSON.stringify(rule.blueprint)}`);
    }
    const m = new Cypher.Node();
    const pattern = new Cypher.Pattern(scope.variable).related(reachRelationship(reach.types, direction, depth)).to(m, { labels: ['Entity'] });
    const walked = restricted ? new Cypher.PathVariable() : null;
    const where: Cypher.Predicate[] = [];
    if (walked) where.push(allVisible(walked));
    where.push(...farEnd(rule, m, rule.blueprint ? [rule.blueprint] : undefined, path));
    return existsWalk(pattern, walked, where);
  };

  const scorecardLevelRule = (rule: ScorecardLevelRule, scope: Scope, path: string): Cypher.Predicate => {
    if (typeof rule.scorecard !== 'string' || rule.scorecard === '') return fail(`${path}/scorecard`, 'scorecard must be a scorecard identifier');
    const levelComparisons: [keyof ScorecardLevelRule, (a: Cypher.Expr, b: Cypher.Expr) => Cypher.Predicate][] = [
      ['level', Cypher.eq],
      ['below', Cypher.lt],
      ['atLeast', Cypher.gte],
    ];
    const where: Cypher.Predicate[] = [];
    const r = new Cypher.Node();
    const s = new Cypher.Node();
    for (const [key, compare] of levelComparisons) {
      const name = rule[key];
      if (name === undefined) continue;
      if (typeof name !== 'string' || name === '') return fail(`${path}/${key}`, `${key} must be a level name of the scorecard`);
      // The index of the named level in the scorecard's own list, ignoring case (levels.ts levelIndexOf).
      const i = new Cypher.Variable();
      const levels = s.property('levels');
      const index = new Cypher.ListComprehension(i)
        .in(Cypher.range(new Cypher.Literal(0), Cypher.minus(Cypher.size(levels), new Cypher.Literal(1))))
        .where(Cypher.eq(Cypher.toLower(s.property('levels', i)), param(name.toLowerCase())));
      where.push(compare(r.property('levelIndex'), Cypher.coalesce(Cypher.listIndex(index, 0), new Cypher.Literal(-1))));
    }
    if (where.length === 0) return fail(path, 'a scorecard rule needs "level", "below" or "atLeast"');
    const sc = param(rule.scorecard);
    return new Cypher.Exists(
      new Cypher.Match(new Cypher.Pattern(scope.variable).related({ type: '_SCORES', direction: 'left' }).to(r, { labels: ['_ScoreResult'], properties: { scorecard: sc } }))
        .match(new Cypher.Pattern(s, { labels: ['_Scorecard'], properties: { identifier: sc } }))
        .where(allOf(where)),
    );
  };

  let ruleCount = 0;
  const one = (rule: unknown, scope: Scope, path: string): Cypher.Predicate => {
    if (++ruleCount > maxRules) return ruleCount === maxRules + 1 ? fail(path, `a search may hold at most ${maxRules} rules; split it`) : Cypher.false;
    if (path.split('/rules/').length - 1 > maxNesting) return fail(path, `rules may nest at most ${maxNesting} levels deep`);
    if (!isObject(rule)) return fail(path, 'a rule must be an object');
    if ('property' in rule) return propertyRule(rule as unknown as PropertyRule, scope, path);
    if ('relation' in rule) return relationRule(rule as unknown as RelationRule, scope, path);
    if ('reachable' in rule) return reachableRule(rule as unknown as ReachableRule, scope, path);
    if ('rules' in rule) return group(rule as unknown as GroupRule, scope, path);
    if ('scorecard' in rule) return scorecardLevelRule(rule as unknown as ScorecardLevelRule, scope, path);
    return fail(path, 'a rule needs "property", "relation", "reachable", "scorecard" or "rules"');
  };

  const group = (g: GroupRule, scope: Scope, path: string): Cypher.Predicate => {
    const combinator = g.combinator ?? 'and';
    if (combinator !== 'and' && combinator !== 'or') return fail(`${path}/combinator`, 'combinator must be "and" or "or"');
    if (!Array.isArray(g.rules)) return fail(`${path}/rules`, 'rules must be a list');
    if (g.rules.length === 0) return Cypher.true;
    const [first, ...rest] = g.rules.map((r, i) => one(r, scope, `${path}/rules/${i}`));
    return combinator === 'and' ? Cypher.and(first, ...rest) : Cypher.or(first, ...rest);
  };

  if (request.blueprint !== undefined && !model.has(request.blueprint)) {
    throw new ValidationError('unknown blueprint', [{ path: '/blueprint', message: `unknown blueprint "${request.blueprint}"` }]);
  }
  const node = new Cypher.NamedNode('n');
  const scope: Scope = { variable: node, blueprints: request.blueprint ? [request.blueprint] : undefined, path: '' };
  const rules = group({ combinator: request.combinator ?? 'and', rules: request.rules ?? [] }, scope, '');
  return {
    node,
    label: request.blueprint ? labelOf(request.blueprint) : 'Entity',
    predicate: restricted ? Cypher.and(rules, visible(node)) : rules,
    details,
    restricted,
    visible,
  };
}

/**
 * The relationship of a reachability walk: any of `types`, 1 to `depth` hops, in `direction`.
 * Types come from `reachTypes` (checked against the model) and are quoted by the builder.
 */
export function reachRelationship(types: string[], direction: 'outgoing' | 'incoming' | 'both', depth: number): Cypher.RelationshipPatternOptions {
  return {
    type: types.length === 1 ? types[0] : Cypher.labelExpr.or(...types),
    direction: direction === 'outgoing' ? 'right' : direction === 'incoming' ? 'left' : 'undirected',
    length: { min: 1, max: depth },
  };
}

/** Cursor for the page after the given entity. */
export function searchCursor(blueprint: string, identifier: string): string {
  return cursorOf([blueprint, identifier]);
}
