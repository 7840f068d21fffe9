// Deletes entities with their relationships and pending relations. Entities that pointed at
// them lose their stored hash, so their next write re-declares the relation (as pending).
UNWIND $identifiers AS id
MATCH (n:Entity {identifier: id}) WHERE n._blueprint = $blueprint
OPTIONAL MATCH (s:Entity)-[in]->(n) WHERE NOT type(in) STARTS WITH '_'
SET s._hash = null
WITH DISTINCT n
OPTIONAL MATCH (n)-[:_PENDING_TO]->(pd:_Pending)
DETACH DELETE pd
WITH DISTINCT n
DETACH DELETE n
RETURN count(n) AS deleted
