import { loadQuery } from '../db/query-loader.ts';
import type { ReadScope } from './authorize.ts';

/**
 * Compiles a `ReadScope` (authorize.ts) for Cypher: the predicate text lives in
 * cypher/auth/visible.cypher and takes the scope as parameters, so queries stay fixed text.
 */

const marker = /\$\$visible\(([a-z][A-Za-z0-9]*)\)\$\$/g;

/** The readability predicate for one variable, e.g. `visiblePredicate('n')`. */
export function visiblePredicate(variable: string): string {
  return loadQuery('auth/visible', { Var: variable });
}

/**
 * Loads a fixed query and replaces each `$$visible(x)$$` marker with the readability
 * predicate for `x` (`true` when `scope` may read everything: a predicate with a subquery in
 * a path pattern is slow to plan and run, and an admin needs none); pass `scopeParams(scope)`
 * with its parameters. Two fixed texts per query, never one per caller.
 * @example readRows(db, loadScopedQuery('search/fulltext', scope), { ...params, ...scopeParams(scope) })
 */
export function loadScopedQuery(path: string, scope: ReadScope, names: Record<string, string> = {}, numbers: Record<string, number> = {}): string {
  return loadQuery(path, names, numbers).replace(marker, (_m, variable: string) => (scope.unrestricted ? 'true' : visiblePredicate(variable)));
}

/** The parameters the predicate reads. */
export function scopeParams(scope: ReadScope): Record<string, unknown> {
  return { authReadAll: scope.all, authReadOwned: scope.owned, authTeams: scope.teams };
}
