// Turns pending relations into relationships now that their targets exist. The type comes from
// each pending relation, so the relationship is merged through APOC: a MERGE with a dynamic type
// planned on an empty graph scans every relationship of the database per pair (Neo4j 5.26).
// APOC runs a nested query per pair, which is fine for the few relations that wait for a target.
UNWIND $identifiers AS id
MATCH (t:Entity {identifier: id}) WHERE t._blueprint = $blueprint
MATCH (s:Entity)-[:_PENDING_TO]->(pd:_Pending {targetBlueprint: $blueprint, targetIdentifier: id})
CALL apoc.merge.relationship(s, pd.type, {}, {_createdAt: $now, _createdBy: pd._createdBy, _sources: pd._sources}, t, {}) YIELD rel
DETACH DELETE pd
RETURN count(rel) AS resolved
