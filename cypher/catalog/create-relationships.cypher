// Creates relationships for any relations at once: p = {s, sb, t, tb, type}. Types come from
// the validated model as parameters, so this query is planned once. apoc.merge.relationship
// looks the relationship up from the two bound nodes: a MERGE with a dynamic type planned on an
// empty graph scans every relationship of the database per pair instead (Neo4j 5.26).
// A missing target becomes a pending relation that resolves when the target arrives.
UNWIND $pairs AS p
MATCH (s:Entity {identifier: p.s}) WHERE s._blueprint = p.sb
OPTIONAL MATCH (t:Entity {identifier: p.t}) WHERE t._blueprint = p.tb
CALL (s, t, p) {
  WITH s, t, p WHERE t IS NOT NULL
  CALL apoc.merge.relationship(s, p.type, {}, {_createdAt: $now, _createdBy: $actor}, t, {}) YIELD rel
  SET rel._sources = CASE WHEN $source IN coalesce(rel._sources, []) THEN rel._sources ELSE coalesce(rel._sources, []) + $source END
  RETURN count(rel) AS linked
}
CALL (s, t, p) {
  WITH s, t, p WHERE t IS NULL
  MERGE (s)-[:_PENDING_TO]->(pd:_Pending {type: p.type, targetBlueprint: p.tb, targetIdentifier: p.t})
  ON CREATE SET pd.sourceBlueprint = p.sb, pd._createdAt = $now, pd._createdBy = $actor, pd._sources = [$source]
  RETURN count(pd) AS pending
}
RETURN sum(linked) AS linked, sum(pending) AS pending
