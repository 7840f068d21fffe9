// Records relations whose target does not exist yet (pairs of create-relationships.cypher that
// it could not link) as pending; resolve-pending.cypher turns them into relationships when the
// target arrives. $type is the relationship type, $targetBlueprint the target's blueprint.
UNWIND $pairs AS p
MATCH (s:Entity {_blueprint: $sourceBlueprint, identifier: p[0]})
WHERE NOT EXISTS { MATCH (:Entity {_blueprint: $targetBlueprint, identifier: p[1]}) }
MERGE (s)-[:_PENDING_TO]->(pd:_Pending {type: $type, targetBlueprint: $targetBlueprint, targetIdentifier: p[1]})
ON CREATE SET pd.sourceBlueprint = $sourceBlueprint, pd._createdAt = $now, pd._createdBy = $actor, pd._sources = [$source]
RETURN count(pd) AS pending
