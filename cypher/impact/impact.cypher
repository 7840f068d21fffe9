// Entities reachable from the root over the given relationship types (walk.cypher), each with
// its shortest distance and its relationships of those types, for the edges of the result.
$$include(impact/walk)$$
RETURN root {.identifier, .title, blueprint: root._blueprint} AS root,
       collect({identifier: n.identifier, blueprint: n._blueprint, title: n.title, distance: distance, direction: direction,
                out: [(n)-[r]->(m:Entity) WHERE type(r) IN $types | [type(r), m._blueprint, m.identifier]]}) AS nodes,
       [(root)-[r]->(m:Entity) WHERE type(r) IN $types | [type(r), m._blueprint, m.identifier]] AS rootOut
