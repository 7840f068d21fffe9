// First query of a forced migration's transaction: takes the write lock of each candidate
// entity (in identifier order, like the catalog's writers) and reads its state under the lock,
// so the values removed and the before/after of the change events are exactly what commits.
// Entities deleted since they were measured are simply absent.
UNWIND $identifiers AS id
MATCH (n:Entity {_blueprint: $blueprint, identifier: id})
SET n._locked = true
REMOVE n._locked
RETURN n.identifier AS identifier,
       n._updatedAt AS updatedAt,
       properties(n) AS props,
       [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
       [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels
