import Cypher from '@neo4j/cypher-builder';
import { cypherFragment, type SlotValue } from '../db/query-loader.ts';
import { renderExpression } from '../db/render-cypher.ts';
import type { ReadScope } from './authorize.ts';

/**
 * The read scope (authorize.ts) in Cypher: one cypher-builder predicate, `readable(x, scope)`,
 * that queries built with the builder compose directly (search rules, aggregations, reachability),
 * and that `visibleSlots` turns into the `$$visibleX$$` slots of fixed `.cypher` files.
 * The scope travels as the parameters `$authReadAll`, `$authReadOwned` and `$authTeams`, so the
 * query text depends only on the scope's shape, never on a caller's blueprints or teams.
 */

/**
 * Whether the entity `variable` is readable under `scope`: `true` when the caller may read
 * everything; a test of its blueprint against `$authReadAll` when no blueprint is readable
 * through owners only; else that test or an owner relation (the type `$authReadOwned` names for
 * its blueprint) to one of `$authTeams`. Every step of a walk evaluates it, so callers who need
 * no check, or no owner check, get none; three shapes of text, never one per caller.
 * @example new Cypher.Match(new Cypher.Pattern(n)).where(readable(n, scope))
 */
export function readable(variable: Cypher.Variable, scope: ReadScope): Cypher.Predicate {
  if (scope.unrestricted) return Cypher.true;
  const blueprint = variable.property('_blueprint');
  const byBlueprint = Cypher.in(blueprint, new Cypher.NamedParam('authReadAll', scope.all));
  if (Object.keys(scope.owned).length === 0) return byBlueprint;
  const owned = new Cypher.NamedParam('authReadOwned', scope.owned);
  const owner = new Cypher.NamedRelationship('authOwner');
  const team = new Cypher.NamedNode('authTeam');
  const ownedByTeam = new Cypher.Exists(
    new Cypher.Match(new Cypher.Pattern(variable).related(owner).to(team, { labels: ['Entity'] })).where(
      Cypher.and(
        Cypher.eq(Cypher.type(owner), owned.property(blueprint)),
        Cypher.in(team.property('identifier'), new Cypher.NamedParam('authTeams', scope.teams)),
      ),
    ),
  );
  return Cypher.or(byBlueprint, Cypher.and(Cypher.in(blueprint, Cypher.keys(owned)), ownedByTeam));
}

/**
 * The text of `readable` for a variable named `variable` (its parameters come from
 * `scopeParams`), for queries still written as text.
 * @example visiblePredicate('n', scope) // '(n._blueprint IN $authReadAll)'
 */
export function visiblePredicate(variable: string, scope: ReadScope): string {
  if (scope.unrestricted) return 'true';
  return `(${renderExpression(readable(new Cypher.NamedVariable(variable), scope))})`;
}

/**
 * The read-scope slots of a fixed query for its entity variables: `$$visibleX$$` (X the variable
 * with its first letter upper-cased) filled with `readable(x, scope)`, for `loadQuery`; pass
 * `scopeParams(scope)` with the query's parameters.
 * @example readRows(db, loadQuery('search/fulltext', visibleSlots(scope, 'node')), { ...params, ...scopeParams(scope) })
 */
export function visibleSlots(scope: ReadScope, ...variables: string[]): Record<string, SlotValue> {
  return Object.fromEntries(
    variables.map((v) => [`visible${v.charAt(0).toUpperCase()}${v.slice(1)}`, cypherFragment(readable(new Cypher.NamedVariable(v), scope))]),
  );
}

/** The parameters the predicate reads. */
export function scopeParams(scope: ReadScope): Record<string, unknown> {
  return { authReadAll: scope.all, authReadOwned: scope.owned, authTeams: scope.teams };
}
