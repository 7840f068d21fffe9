// Creates relationships for any relations at once: p = {s, sb, t, tb, type}. Types come from
// the validated model as parameters (dynamic types), so this query is planned once. A missing
// target becomes a pending relation that resolves when the target arrives.
UNWIND $pairs AS p
MATCH (s:Entity {identifier: p.s}) WHERE s._blueprint = p.sb
OPTIONAL MATCH (t:Entity {identifier: p.t}) WHERE t._blueprint = p.tb
FOREACH (_ IN CASE WHEN t IS NULL THEN [] ELSE [1] END |
  MERGE (s)-[r:$(p.type)]->(t)
  ON CREATE SET r._createdAt = $now, r._createdBy = $actor
  SET r._sources = CASE WHEN $source IN coalesce(r._sources, []) THEN r._sources ELSE coalesce(r._sources, []) + $source END
)
FOREACH (_ IN CASE WHEN t IS NULL THEN [1] ELSE [] END |
  MERGE (s)-[:_PENDING_TO]->(pd:_Pending {type: p.type, targetBlueprint: p.tb, targetIdentifier: p.t})
  ON CREATE SET pd.sourceBlueprint = p.sb, pd._createdAt = $now, pd._createdBy = $actor, pd._sources = [$source]
)
RETURN count(t) AS linked, count(p) - count(t) AS pending
