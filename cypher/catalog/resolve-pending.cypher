// Turns pending relations into relationships now that their targets exist.
UNWIND $identifiers AS id
MATCH (t:Entity {identifier: id}) WHERE t._blueprint = $blueprint
MATCH (s:Entity)-[:_PENDING_TO]->(pd:_Pending {targetBlueprint: $blueprint, targetIdentifier: id})
MERGE (s)-[r:$(pd.type)]->(t)
ON CREATE SET r._createdAt = $now, r._createdBy = pd._createdBy, r._sources = pd._sources
DETACH DELETE pd
RETURN count(r) AS resolved
