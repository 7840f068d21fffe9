// Removes relationships (and pending relations) of any relations at once: p = {s, sb, t, tb, type}.
UNWIND $pairs AS p
MATCH (s:Entity {identifier: p.s}) WHERE s._blueprint = p.sb
OPTIONAL MATCH (s)-[r]->(t:Entity {identifier: p.t}) WHERE type(r) = p.type AND t._blueprint = p.tb
OPTIONAL MATCH (s)-[:_PENDING_TO]->(pd:_Pending {type: p.type, targetBlueprint: p.tb, targetIdentifier: p.t})
DELETE r
DETACH DELETE pd
RETURN count(r) + count(pd) AS deleted
