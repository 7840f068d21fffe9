// Turns pending relations into relationships now that their targets exist.
UNWIND $pairs AS p
MATCH (s:$$Source$$ {identifier: p.s})-[:_PENDING_TO]->(pd:_Pending {type: $type, targetBlueprint: $targetBlueprint, targetIdentifier: p.t})
MATCH (t:$$Target$$ {identifier: p.t})
MERGE (s)-[r:$$Type$$]->(t)
ON CREATE SET r._createdAt = $now, r._createdBy = pd._createdBy, r._sources = pd._sources
DETACH DELETE pd
RETURN count(r) AS resolved
