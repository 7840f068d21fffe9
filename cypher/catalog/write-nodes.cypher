// Creates or updates the nodes of one blueprint. row.props holds null for properties to remove.
// In an upsert, lock-entities.cypher has already created new entities bare in this transaction:
// creation time and author are set when missing. $applySet (null: keep) names the `plexus apply`
// set that wrote the entity, for --prune.
UNWIND $rows AS row
MERGE (n:Entity {_blueprint: $blueprint, identifier: row.identifier})
ON CREATE SET n:$$label$$
SET n += row.props,
    n._createdAt = coalesce(n._createdAt, $now),
    n._createdBy = coalesce(n._createdBy, $actor),
    n.title = row.title,
    n._hash = row.hash,
    n._updatedAt = $now,
    n._updatedBy = $actor,
    n._sources = CASE WHEN $source IN coalesce(n._sources, []) THEN n._sources ELSE coalesce(n._sources, []) + $source END,
    n._lastRunId = coalesce($runId, n._lastRunId),
    n._applySet = coalesce($applySet, n._applySet)
RETURN count(n) AS written
