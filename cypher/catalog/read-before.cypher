// Current state of entities a write is about to change, of any blueprints at once: properties
// and outgoing relations (relationships and pending relations). Entities that no longer exist
// return no row. Only entities whose stored hash differs from the incoming one are read
// (read-hashes.cypher finds them), so unchanged and new entities cost nothing here.
UNWIND $rows AS row
MATCH (n:Entity {identifier: row.identifier}) WHERE n._blueprint = row.blueprint
RETURN row.blueprint AS blueprint,
       row.identifier AS identifier,
       properties(n) AS props,
       [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
       [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels
