// Entities of one blueprint by identifier, with outgoing relationships and pending relations.
UNWIND $identifiers AS id
MATCH (n:Entity {identifier: id}) WHERE n._blueprint = $blueprint
RETURN properties(n) AS props,
       [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
       [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels
