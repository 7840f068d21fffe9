import { type Blueprint, labelOf, targetsOf } from '@plexus/contract';
import { grantOf, ownerRelationOf } from './permissions.ts';

/**
 * The `@authorization` directive of a blueprint's GraphQL type. @neo4j/graphql turns its filter
 * rules into predicates on every read of the type — root fields, relation fields, the Entity
 * interface, connections and aggregations — comparing against the `jwt` of the request context
 * (AccessControl.graphqlJwt: the same decisions as REST). Rules are OR-ed:
 * - the caller may read the blueprint in full (by role, user or team): the flag
 *   `reads<Label>: true` of the JWT ({@link readsClaimOf}), a test on the JWT alone, since every
 *   node of the type has this blueprint. Neo4j evaluates it on every row the query considers, so
 *   it is one map lookup and comparison (a `readers: { includes }` rule searched a list per row;
 *   reading `_blueprint` from every node, before that, cost about 40% more database time), or
 * - it is in `owning` (again on the JWT alone) and the owner relation points at an entity whose
 *   identifier is in `teams` (only generated when the blueprint's read grant includes owners and
 *   it has that relation).
 * Names come from validated blueprint and relation identifiers; values only from the JWT.
 */
export function authorizationDirective(bp: Blueprint, ownerRelation: string): string {
  const rules = [`{ where: { jwt: { ${readsClaimOf(bp.identifier)}: { eq: true } } } }`];
  const owner = grantOf(bp, 'read').owners ? ownerRelationOf(bp, ownerRelation) : null;
  if (owner) {
    const targets = targetsOf(bp.relations![owner]);
    const match = '{ identifier: { in: "$jwt.teams" } }';
    // A polymorphic relation is a union: one rule per member type.
    const somes = targets.length > 1 ? targets.map((t) => `{ ${labelOf(t)}: ${match} }`) : [match];
    // Explicit AND rather than two keys of one `node`: each condition stands alone in the
    // generated predicate (@neo4j/graphql < 7.6.7 mishandled some multi-condition filters).
    for (const some of somes) rules.push(`{ where: { AND: [{ jwt: { owning: { includes: "${bp.identifier}" } } }, { node: { ${owner}: { some: ${some} } } }] } }`);
  }
  return `@authorization(filter: [${rules.join(', ')}])`;
}

/**
 * The JWT claim saying the caller may read every entity of `blueprint`: `readsLoadService` for
 * `loadService` (a GraphQL field name, from a validated identifier).
 */
export function readsClaimOf(blueprint: string): string {
  return `reads${labelOf(blueprint)}`;
}

/** True when not everyone may read every entity of the blueprint. */
function restricted(bp: Blueprint | undefined): boolean {
  return !bp || !(grantOf(bp, 'read').roles ?? []).includes('viewer');
}

/**
 * Directive for a relation field (or inverse field) whose far side is a restricted blueprint:
 * no `where` filters through it. @neo4j/graphql filters what a relation field returns by the
 * target's @authorization rules, but not a `where` that reaches through the relation, so
 * `services(where: {uses: {some: {codename: {eq: "x"}}}})` would tell a caller whether a
 * hidden entity has that value. The field itself stays readable (and filtered).
 */
export function relationFilterDirective(farSide: (Blueprint | undefined)[]): string {
  return farSide.some(restricted) ? ' @filterable(byValue: false, byAggregate: false)' : '';
}
