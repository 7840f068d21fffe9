// One page of a blueprint's entities in identifier order: keyset pagination on the entities'
// unique index (_blueprint, identifier), which gives the order when the query asks for both.
MATCH (n:Entity)
WHERE n._blueprint = $blueprint AND n.identifier > $after
WITH n ORDER BY n._blueprint ASC, n.identifier ASC LIMIT $limit
RETURN properties(n) AS props,
       [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
       [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels
