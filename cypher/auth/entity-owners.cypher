// Existence and owning teams of the entities a write names: r = {blueprint, identifier, ownerType}.
UNWIND $refs AS r
OPTIONAL MATCH (n:Entity {identifier: r.identifier}) WHERE n._blueprint = r.blueprint
RETURN r.blueprint AS blueprint, r.identifier AS identifier, n IS NOT NULL AS exists,
       CASE WHEN n IS NULL OR r.ownerType IS NULL THEN [] ELSE [(n)-[o]->(t:Entity) WHERE type(o) = r.ownerType | t.identifier] END AS owners
