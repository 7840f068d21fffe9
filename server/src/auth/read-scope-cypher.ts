import { loadQuery } from '../db/query-loader.ts';
import type { ReadScope } from './authorize.ts';

/**
 * Compiles a `ReadScope` (authorize.ts) for Cypher: the predicate text lives in
 * cypher/auth/visible.cypher and takes the scope as parameters, so queries stay fixed text.
 */

const marker = /\$\$visible\(([a-z][A-Za-z0-9]*)\)\$\$/g;

/**
 * The readability predicate for one variable under `scope`, e.g. `visiblePredicate('n', scope)`:
 * `true` when it may read everything, a test of the blueprint when no blueprint is readable
 * through owners only (cypher/auth/visible-by-blueprint.cypher), else the full predicate with
 * its owner subquery (cypher/auth/visible.cypher): every step of a walk evaluates it, so callers
 * who need no check, or no owner check, get none. Three fixed texts per query, never one per caller.
 */
export function visiblePredicate(variable: string, scope: ReadScope): string {
  if (scope.unrestricted) return 'true';
  return loadQuery(Object.keys(scope.owned).length === 0 ? 'auth/visible-by-blueprint' : 'auth/visible', { Var: variable });
}

/**
 * Loads a fixed query and replaces each `$$visible(x)$$` marker with the readability
 * predicate for `x` under `scope` (visiblePredicate); pass `scopeParams(scope)` with its parameters.
 * @example readRows(db, loadScopedQuery('search/fulltext', scope), { ...params, ...scopeParams(scope) })
 */
export function loadScopedQuery(path: string, scope: ReadScope, names: Record<string, string> = {}, numbers: Record<string, number> = {}): string {
  return loadQuery(path, names, numbers).replace(marker, (_m, variable: string) => visiblePredicate(variable, scope));
}

/** The parameters the predicate reads. */
export function scopeParams(scope: ReadScope): Record<string, unknown> {
  return { authReadAll: scope.all, authReadOwned: scope.owned, authTeams: scope.teams };
}
