// Provenance of entities named by (blueprint, identifier): which sources wrote each. Light: no
// properties, no relationships. Missing entities return no row.
UNWIND $refs AS ref
MATCH (n:Entity {identifier: ref.identifier}) WHERE n._blueprint = ref.blueprint
RETURN ref.blueprint AS blueprint, ref.identifier AS identifier, coalesce(n._sources, []) AS sources
