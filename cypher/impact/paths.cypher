// Shortest paths between two entities over the given relationship types, in either direction,
// through entities the caller may read only ($$visibleA$$, $$visibleB$$, $$visibleY$$: the read scope
// of server/src/auth/read-scope-cypher.ts). $$depth$$ is the checked maximum length.
MATCH (a:Entity {identifier: $from}) WHERE a._blueprint = $fromBlueprint AND $$visibleA$$
MATCH (b:Entity {identifier: $to}) WHERE b._blueprint = $toBlueprint AND $$visibleB$$
MATCH p = ALL SHORTEST (a)((x)-[r WHERE type(r) IN $types]-(y:Entity WHERE $$visibleY$$)){1,$$depth$$}(b)
WITH p LIMIT $limit
RETURN [n IN nodes(p) | {identifier: n.identifier, blueprint: n._blueprint, title: n.title}] AS nodes,
       [r IN relationships(p) | {type: type(r), source: [startNode(r)._blueprint, startNode(r).identifier], target: [endNode(r)._blueprint, endNode(r).identifier]}] AS edges
