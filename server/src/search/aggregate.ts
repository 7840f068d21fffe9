import Cypher from '@neo4j/cypher-builder';
import { type Model, type PropertySchema, relTypeOf } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { scopeParams, visiblePredicate } from '../auth/read-scope-cypher.ts';
import { escapeName } from '../db/cypher-names.ts';
import { type Db, readRows } from '../db/driver.ts';
import { BadRequestError, NotFoundError, ValidationError } from '../errors.ts';
import type { ImpactDirection, ImpactService } from '../impact/impact.ts';
import { compileFilter, type SearchRequest } from './rules.ts';

/**
 * An aggregation (`POST /api/v1/search/aggregate`): the entities of a search (or of an impact
 * result) grouped by blueprint, a property or a related entity, with metrics per group.
 */
export interface AggregateRequest extends Pick<SearchRequest, 'blueprint' | 'combinator' | 'rules'> {
  /** Aggregate a blast radius instead of a search. */
  impact?: { blueprint: string; identifier: string; direction?: ImpactDirection; depth?: number; relations?: string[] };
  /** `blueprint`, `property:<name>` or `relation:<name>` (the entity the relation points at). */
  groupBy: string;
  /** `count` (always computed), `sum:<property>`, `min:…`, `max:…`, `avg:…`. */
  metrics?: string[];
  /** A metric name or `key`; a leading `-` sorts descending. Default `-count`. */
  sort?: string;
  limit?: number;
}

/** One group: its key (and title and blueprint for related entities), count and the other metrics. */
export interface AggregateGroup {
  key: unknown;
  title?: string | null;
  blueprint?: string;
  count: number;
  [metric: string]: unknown;
}

export interface AggregateResult {
  groups: AggregateGroup[];
  /** Entities aggregated (each once, whatever groups it falls in). */
  total: number;
}

const functions = ['sum', 'min', 'max', 'avg'] as const;
const numeric = new Set(['number', 'integer']);
const maxGroups = 1000;

/** Finds a stored property on any of the blueprints (all when undefined). */
function propertyOf(model: Model, blueprints: string[] | undefined, name: string): PropertySchema | null {
  if (name === 'identifier' || name === 'title') return { type: 'string' };
  for (const bp of blueprints ?? [...model.keys()]) {
    const p = model.get(bp)?.schema.properties[name];
    if (p) return p;
  }
  return null;
}

/**
 * Compiles an aggregation over `n` (already matched) into the grouping and metric part of a
 * query: names checked against the model and escaped, never taken from the request as text.
 */
export function compileAggregation(
  model: Model,
  request: AggregateRequest,
  blueprints: string[] | undefined,
  visible: (variable: string) => string,
): { group: string; returns: string; order: string; metrics: { name: string; alias: string }[] } {
  const where = blueprints ? ` on ${blueprints.join(', ')}` : '';
  if (typeof request.groupBy !== 'string') throw new BadRequestError('groupBy is required: "blueprint", "property:<name>" or "relation:<name>"');
  let group: string;
  let returns: string;
  if (request.groupBy === 'blueprint') {
    group = 'WITH n, n._blueprint AS key';
    returns = 'key, null AS title, null AS blueprint';
  } else if (request.groupBy.startsWith('property:')) {
    const name = request.groupBy.slice('property:'.length);
    const p = propertyOf(model, blueprints, name);
    if (!p) throw new BadRequestError(`groupBy: unknown property "${name}"${where}; group by a property of the model, e.g. property:lifecycle`);
    if (p.type === 'object') throw new BadRequestError(`groupBy: property "${name}" is an object; group by a string, number, boolean or array property`);
    const read = `n.${escapeName(name)}`;
    // An array property puts the entity in one group per element.
    group = p.type === 'array' ? `UNWIND CASE WHEN size(coalesce(${read}, [])) = 0 THEN [null] ELSE ${read} END AS key WITH n, key` : `WITH n, ${read} AS key`;
    returns = 'key, null AS title, null AS blueprint';
  } else if (request.groupBy.startsWith('relation:')) {
    const name = request.groupBy.slice('relation:'.length);
    const defined = [...model.values()].filter((bp) => bp.relations?.[name] && (!blueprints || blueprints.includes(bp.identifier)));
    if (defined.length === 0) throw new BadRequestError(`groupBy: unknown relation "${name}"${where}; group by a relation of the model, e.g. relation:ownedBy`);
    // Only related entities the caller may read form groups; the others fall in the null group.
    group = `OPTIONAL CALL (n) { MATCH (n)-[:${escapeName(relTypeOf(name))}]->(g:Entity) WHERE ${visible('g')} RETURN g }\nWITH n, g, CASE WHEN g IS NULL THEN null ELSE g.identifier END AS key`;
    returns = 'key, g.title AS title, g._blueprint AS blueprint';
  } else {
    throw new BadRequestError(`groupBy "${request.groupBy}" is not known; use "blueprint", "property:<name>" or "relation:<name>"`);
  }
  const metrics = [{ name: 'count', alias: 'm0', expression: 'count(DISTINCT n)' }];
  const asked = request.metrics ?? ['count'];
  if (!Array.isArray(asked)) throw new BadRequestError('metrics must be a list such as ["count", "sum:tier"]');
  for (const metric of asked) {
    if (metric === 'count' || metrics.some((m) => m.name === metric)) continue;
    const [fn, property] = typeof metric === 'string' ? metric.split(':', 2) : [];
    if (!(functions as readonly string[]).includes(fn) || !property) {
      throw new BadRequestError(`metric ${JSON.stringify(metric)} is not known; use count, or sum, min, max, avg with a number property, e.g. "avg:tier"`);
    }
    const p = propertyOf(model, blueprints, property);
    if (!p) throw new BadRequestError(`metric "${metric}": unknown property "${property}"${where}`);
    if (!numeric.has(p.type)) throw new BadRequestError(`metric "${metric}": property "${property}" is ${p.type}, not a number`);
    metrics.push({ name: metric, alias: `m${metrics.length}`, expression: `${fn}(n.${escapeName(property)})` });
  }
  const sort = request.sort ?? '-count';
  if (typeof sort !== 'string') throw new BadRequestError('sort must be a metric name or "key", with a leading "-" for descending');
  const descending = sort.startsWith('-');
  const by = descending ? sort.slice(1) : sort;
  const sortAlias = by === 'key' ? 'key' : metrics.find((m) => m.name === by)?.alias;
  if (!sortAlias) throw new BadRequestError(`sort "${sort}" names no metric of the request; use key, count or one of ${asked.join(', ')}`);
  return {
    group,
    returns: `${returns}, ${metrics.map((m) => `${m.expression} AS ${m.alias}`).join(', ')}`,
    order: `ORDER BY ${sortAlias}${descending ? ' DESC' : ''}, key`,
    metrics: metrics.map(({ name, alias }) => ({ name, alias })),
  };
}

const toNumber = (v: unknown): unknown => (neo4j.isInt(v) ? (v as { toNumber(): number }).toNumber() : v);

/** Creates the aggregation runner: one read query per aggregation (over a search or a blast radius). */
export function createAggregator(deps: { db: Db; models: { current(): Model }; impact?: ImpactService }) {
  const { db, models, impact } = deps;
  return async function aggregate(request: AggregateRequest, options: { scope: ReadScope }): Promise<AggregateResult> {
    if (typeof request !== 'object' || request === null) throw new BadRequestError('the body must be an aggregation object');
    const model = models.current();
    const limit = request.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxGroups) throw new BadRequestError(`limit must be an integer from 1 to ${maxGroups}`);
    if (request.blueprint !== undefined && (typeof request.blueprint !== 'string' || !model.has(request.blueprint))) {
      throw new BadRequestError(`unknown blueprint ${JSON.stringify(request.blueprint)}`);
    }
    const restricted = !options.scope.unrestricted;
    const visible = (variable: string) => (restricted ? visiblePredicate(variable, options.scope) : 'true');
    let match: string;
    let params: Record<string, unknown>;
    let blueprints: string[] | undefined;
    let collect = 'WITH collect(n) AS matched';
    if (request.impact !== undefined) {
      if (!impact) throw new BadRequestError('impact aggregations are not available on this server');
      if (request.rules !== undefined) throw new BadRequestError('give either "impact" or "rules", not both');
      const i = request.impact;
      if (typeof i !== 'object' || i === null || typeof i.blueprint !== 'string' || typeof i.identifier !== 'string') {
        throw new BadRequestError('impact must be {"blueprint", "identifier", "direction"?, "depth"?, "relations"?}');
      }
      // Names are checked against the blueprints a blast radius can hold: all of them.
      blueprints = request.blueprint ? [request.blueprint] : undefined;
      // One query: the impact walk (it keeps to readable entities), then the groups.
      const walk = impact.walk(
        { blueprint: i.blueprint, identifier: i.identifier },
        { scope: options.scope, direction: i.direction, depth: i.depth, relations: i.relations, limit: 50_000 },
      );
      match = walk.query;
      params = { ...walk.params, onlyBlueprint: request.blueprint ?? null };
      // Grouped by root: no row at all when the root does not exist (answered 404 below).
      collect = 'WITH root, collect(DISTINCT CASE WHEN n <> root AND ($onlyBlueprint IS NULL OR n._blueprint = $onlyBlueprint) THEN n END) AS matched';
    } else {
      const filter = compileFilter(model, request, options.scope);
      if (filter.details.length > 0) throw new ValidationError(`the search has ${filter.details.length} problem${filter.details.length > 1 ? 's' : ''}`, filter.details);
      // The search's predicate wrapped in its match; the rest of the query reads `n`.
      const built = new Cypher.Match(new Cypher.Pattern(filter.node, { labels: [filter.label] })).where(filter.predicate).build();
      match = built.cypher;
      params = built.params;
      blueprints = request.blueprint ? [request.blueprint] : undefined;
    }
    const compiled = compileAggregation(model, request, blueprints, visible);
    if (restricted) Object.assign(params, scopeParams(options.scope));
    const query = [
      match,
      // Every entity once, for the total; then its groups.
      collect,
      'CALL (matched) {',
      '  UNWIND matched AS n',
      `  ${compiled.group.replace(/\n/g, '\n  ')}`,
      `  RETURN ${compiled.returns}`,
      `  ${compiled.order}`,
      '  LIMIT $groupLimit',
      '}',
      `RETURN size(matched) AS total, collect({key: key, title: title, blueprint: blueprint, ${compiled.metrics.map((m) => `${m.alias}: ${m.alias}`).join(', ')}}) AS groups`,
    ].join('\n');
    const [row] = await readRows<{ total: number; groups: Record<string, unknown>[] }>(db, query, { ...params, groupLimit: neo4j.int(limit) });
    if (!row && request.impact) throw new NotFoundError(`entity "${request.impact.identifier}" of blueprint "${request.impact.blueprint}" does not exist`);
    const relationGroups = request.groupBy.startsWith('relation:');
    return {
      total: Number(toNumber(row?.total ?? 0)),
      groups: (row?.groups ?? []).map((g) => {
        const out: AggregateGroup = { key: toNumber(g.key), count: 0 };
        if (relationGroups) {
          out.title = (g.title as string | null) ?? null;
          if (g.blueprint) out.blueprint = g.blueprint as string;
        }
        for (const m of compiled.metrics) out[m.name] = toNumber(g[m.alias]);
        return out;
      }),
    };
  };
}
