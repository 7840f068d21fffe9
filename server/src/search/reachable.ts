import Cypher from '@neo4j/cypher-builder';
import type { Model, Rule } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { type Db, readRows } from '../db/driver.ts';
import { BadRequestError, ValidationError } from '../errors.ts';
import { compileFilter, maxReachDepth, reachRelationship, reachTypes } from './rules.ts';

/** A reachability question from one entity (the `reachable` field of every GraphQL entity type). */
export interface ReachableRequest {
  relations?: string[];
  direction?: 'outgoing' | 'incoming' | 'both';
  depth?: number;
  /** Only reached entities of this blueprint. */
  blueprint?: string;
  /** Rules (the search language) the reached entities must match. */
  where?: Rule[];
  limit?: number;
}

/**
 * Entities within `depth` hops of `from` over `relations` (default: role `dependency`), nearest
 * first, through and to readable entities only; one query built around the search filter's
 * predicate. Relation names are checked against the model and quoted by the builder; values are parameters.
 */
export async function findReachable(
  deps: { db: Db; models: { current(): Model } },
  from: { blueprint: string; identifier: string },
  request: ReachableRequest,
  options: { scope: ReadScope },
): Promise<{ blueprint: string; identifier: string; distance: number }[]> {
  const compiled = compileReachable(deps.models.current(), from, request, options.scope);
  return compiled ? readRows(deps.db, compiled.query, compiled.params) : [];
}

/**
 * The query of `findReachable` and its parameters; null when no relation can be walked.
 * Bad requests throw (BadRequestError, or ValidationError for the `where` rules).
 */
export function compileReachable(
  model: Model,
  from: { blueprint: string; identifier: string },
  request: ReachableRequest,
  scope: ReadScope,
): { query: string; params: Record<string, unknown> } | null {
  const direction = request.direction ?? 'outgoing';
  if (!['outgoing', 'incoming', 'both'].includes(direction)) throw new BadRequestError('direction must be outgoing, incoming or both');
  const depth = request.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > maxReachDepth) throw new BadRequestError(`depth must be an integer from 1 to ${maxReachDepth}`);
  const limit = request.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError('limit must be an integer from 1 to 1000');
  const reach = reachTypes(model, request.relations ?? undefined);
  if ('problem' in reach) throw new BadRequestError(reach.problem);
  if (reach.types.length === 0) return null;
  if (request.where !== undefined && request.where !== null && !Array.isArray(request.where)) throw new BadRequestError('where must be a list of rules (the language of POST /api/v1/search)');
  const filter = compileFilter(model, { blueprint: request.blueprint ?? undefined, rules: request.where ?? [] }, scope);
  if (filter.details.length > 0) throw new ValidationError(`where has ${filter.details.length} problem${filter.details.length > 1 ? 's' : ''}`, filter.details);
  const n = filter.node;
  const s = new Cypher.Node();
  const p = new Cypher.PathVariable();
  const w = new Cypher.Variable();
  const distance = new Cypher.NamedVariable('distance');
  const walk = new Cypher.Pattern(s).related(reachRelationship(reach.types, direction, depth)).to(n, { labels: [filter.label] });
  const { cypher, params } = new Cypher.Match(new Cypher.Pattern(s, { labels: ['Entity'], properties: { identifier: new Cypher.Param(from.identifier) } }))
    .where(Cypher.and(Cypher.eq(s.property('_blueprint'), new Cypher.Param(from.blueprint)), filter.visible(s)))
    .match(walk.assignTo(p))
    .where(Cypher.and(Cypher.neq(n, s), ...(filter.restricted ? [Cypher.all(w, Cypher.nodes(p), filter.visible(w))] : []), filter.predicate))
    .with(n, [Cypher.min(Cypher.length(p)), distance])
    .orderBy(distance, n.property('_blueprint'), n.property('identifier'))
    .limit(new Cypher.Param(neo4j.int(limit)))
    .return([n.property('_blueprint'), 'blueprint'], [n.property('identifier'), 'identifier'], distance)
    .build();
  return { query: cypher, params };
}
