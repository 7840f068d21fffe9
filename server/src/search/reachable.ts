import type { Model, Rule } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { escapeName } from '../db/cypher-names.ts';
import { type Db, readRows } from '../db/driver.ts';
import { BadRequestError, ValidationError } from '../errors.ts';
import { compileFilter, maxReachDepth, reachTypes } from './rules.ts';

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
 * first, through and to readable entities only; one query. Relation names are checked against
 * the model and escaped; values are parameters.
 */
export async function findReachable(
  deps: { db: Db; models: { current(): Model } },
  from: { blueprint: string; identifier: string },
  request: ReachableRequest,
  options: { scope: ReadScope },
): Promise<{ blueprint: string; identifier: string; distance: number }[]> {
  const model = deps.models.current();
  const direction = request.direction ?? 'outgoing';
  if (!['outgoing', 'incoming', 'both'].includes(direction)) throw new BadRequestError('direction must be outgoing, incoming or both');
  const depth = request.depth ?? 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > maxReachDepth) throw new BadRequestError(`depth must be an integer from 1 to ${maxReachDepth}`);
  const limit = request.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError('limit must be an integer from 1 to 1000');
  const reach = reachTypes(model, request.relations ?? undefined);
  if ('problem' in reach) throw new BadRequestError(reach.problem);
  if (reach.types.length === 0) return [];
  if (request.where !== undefined && request.where !== null && !Array.isArray(request.where)) throw new BadRequestError('where must be a list of rules (the language of POST /api/v1/search)');
  const filter = compileFilter(model, { blueprint: request.blueprint ?? undefined, rules: request.where ?? [] }, options.scope);
  if (filter.details.length > 0) throw new ValidationError(`where has ${filter.details.length} problem${filter.details.length > 1 ? 's' : ''}`, filter.details);
  const rel = `[:${reach.types.map(escapeName).join('|')}*1..${depth}]`;
  const pattern = direction === 'outgoing' ? `(s)-${rel}->(n)` : direction === 'incoming' ? `(s)<-${rel}-(n)` : `(s)-${rel}-(n)`;
  // filter.match is `MATCH (n:Label)` or `MATCH (n:Entity)`: its label goes on the far end.
  const label = filter.match.slice('MATCH (n'.length, -1);
  const query = [
    `MATCH (s:Entity {identifier: $fromIdentifier}) WHERE s._blueprint = $fromBlueprint AND ${filter.visible('s')}`,
    `MATCH p = ${pattern.replace('(n)', `(n${label})`)}`,
    `WHERE n <> s AND ${filter.restricted ? `all(w IN nodes(p) WHERE ${filter.visible('w')}) AND ` : ''}${filter.where}`,
    'WITH n, min(length(p)) AS distance',
    'ORDER BY distance, n._blueprint, n.identifier LIMIT $reachLimit',
    'RETURN n._blueprint AS blueprint, n.identifier AS identifier, distance',
  ].join('\n');
  return readRows(deps.db, query, {
    ...filter.params,
    fromIdentifier: from.identifier,
    fromBlueprint: from.blueprint,
    reachLimit: neo4j.int(limit),
  });
}
