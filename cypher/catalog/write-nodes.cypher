// Creates or updates the nodes of one blueprint. row.props holds null for properties to remove.
UNWIND $rows AS row
MERGE (n:$$Label$$ {identifier: row.identifier})
ON CREATE SET n:Entity, n._blueprint = $blueprint, n._createdAt = $now, n._createdBy = $actor
SET n += row.props,
    n.title = row.title,
    n._hash = row.hash,
    n._updatedAt = $now,
    n._updatedBy = $actor,
    n._sources = CASE WHEN $source IN coalesce(n._sources, []) THEN n._sources ELSE coalesce(n._sources, []) + $source END,
    n._lastRunId = coalesce($runId, n._lastRunId)
RETURN count(n) AS written
