// Creates one relation's relationships; a missing target becomes a pending relation that
// resolves when the target arrives.
UNWIND $pairs AS p
MATCH (s:$$Source$$ {identifier: p.s})
OPTIONAL MATCH (t:$$Target$$ {identifier: p.t})
FOREACH (_ IN CASE WHEN t IS NULL THEN [] ELSE [1] END |
  MERGE (s)-[r:$$Type$$]->(t)
  ON CREATE SET r._createdAt = $now, r._createdBy = $actor
  SET r._sources = CASE WHEN $source IN coalesce(r._sources, []) THEN r._sources ELSE coalesce(r._sources, []) + $source END
)
FOREACH (_ IN CASE WHEN t IS NULL THEN [1] ELSE [] END |
  MERGE (s)-[:_PENDING_TO]->(pd:_Pending {type: $type, targetBlueprint: $targetBlueprint, targetIdentifier: p.t})
  ON CREATE SET pd.sourceBlueprint = $sourceBlueprint, pd._createdAt = $now, pd._createdBy = $actor, pd._sources = [$source]
)
RETURN count(t) AS linked, count(p) - count(t) AS pending
