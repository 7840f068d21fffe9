// One page of a blueprint's entities in identifier order (keyset pagination on the unique index).
MATCH (n:$$label$$)
WHERE n.identifier > $after
WITH n ORDER BY n.identifier ASC LIMIT $limit
RETURN properties(n) AS props,
       [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
       [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels
