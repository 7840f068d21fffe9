import Cypher from '@neo4j/cypher-builder';

/**
 * One cypher-builder expression as Cypher text, its parameters dropped (the caller passes them,
 * so use named parameters only), for the places that still need text: slots of fixed `.cypher`
 * files, and the `@cypher` statements of the generated GraphQL schema.
 * @example renderExpression(Cypher.in(new Cypher.NamedVariable('n').property('_blueprint'), new Cypher.NamedParam('all'))) // 'n._blueprint IN $all'
 */
export function renderExpression(expression: Cypher.Expr): string {
  return new Cypher.Raw((context) => context.compile(expression)).build().cypher;
}
