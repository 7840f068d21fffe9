// Removes one relation's relationships (and pending relations) to the given targets.
UNWIND $pairs AS p
MATCH (s:$$Source$$ {identifier: p.s})
OPTIONAL MATCH (s)-[r:$$Type$$]->(t:$$Target$$ {identifier: p.t})
OPTIONAL MATCH (s)-[:_PENDING_TO]->(pd:_Pending {type: $type, targetBlueprint: $targetBlueprint, targetIdentifier: p.t})
DELETE r
DETACH DELETE pd
RETURN count(r) + count(pd) AS deleted
