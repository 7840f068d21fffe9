// Current state of the entities a write names. When the stored hash equals the incoming hash
// the entity is unchanged and only the hash comes back (no properties, no relationships).
// One query text for every blueprint (Entity index + _blueprint filter), so it is planned once.
UNWIND $rows AS row
OPTIONAL MATCH (n:Entity {identifier: row.identifier}) WHERE n._blueprint = $blueprint
WITH row, n, n IS NOT NULL AND row.hash IS NOT NULL AND n._hash = row.hash AS same
RETURN row.identifier AS identifier,
       n IS NOT NULL AS exists,
       same,
       CASE WHEN n IS NULL OR same THEN null ELSE properties(n) END AS props,
       CASE WHEN n IS NULL OR same THEN null ELSE
         [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
         [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]]
       END AS rels
