// Creates relationships of one type between entities of two blueprints: $pairs holds
// [source identifier, target identifier] pairs of $sourceBlueprint and $targetBlueprint entities;
// $$type$$ comes from the validated model (the relation's type), never from the request. The
// catalog sends one query per (type, source blueprint, target blueprint), so that:
// - MERGE has a static type and checks for the relationship with Expand(Into) between the two
//   nodes (the dynamic-type MERGE of Neo4j 5.26 planned on an empty graph scanned every
//   relationship of the database per pair; apoc.merge.relationship, used instead until then,
//   runs a nested Cypher query per pair);
// - both ends are found through the entities' uniqueness constraint (_blueprint, identifier);
// - the query is short to plan (each distinct text is planned, and replanned as the graph grows).
// A pair whose target does not exist yet is not counted in `linked`; the catalog then sends
// create-pending.cypher for the chunk.
UNWIND $pairs AS p
MATCH (s:Entity {_blueprint: $sourceBlueprint, identifier: p[0]})
MATCH (t:Entity {_blueprint: $targetBlueprint, identifier: p[1]})
MERGE (s)-[rel:$$type$$]->(t)
ON CREATE SET rel._createdAt = $now, rel._createdBy = $actor, rel._sources = [$source]
ON MATCH SET rel._sources = CASE WHEN $source IN coalesce(rel._sources, []) THEN rel._sources ELSE coalesce(rel._sources, []) + $source END
RETURN count(rel) AS linked
