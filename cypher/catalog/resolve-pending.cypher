// Turns pending relations into relationships now that their targets exist (see
// create-relationships.cypher for why the relationship is merged through APOC).
UNWIND $identifiers AS id
MATCH (t:Entity {identifier: id}) WHERE t._blueprint = $blueprint
MATCH (s:Entity)-[:_PENDING_TO]->(pd:_Pending {targetBlueprint: $blueprint, targetIdentifier: id})
CALL apoc.merge.relationship(s, pd.type, {}, {_createdAt: $now, _createdBy: pd._createdBy, _sources: pd._sources}, t, {}) YIELD rel
DETACH DELETE pd
RETURN count(rel) AS resolved
