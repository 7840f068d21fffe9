// A forced migration's node changes: the property values the new model no longer allows are
// removed ($rows.nulls), the full-text value and the content hash are recomputed without them,
// and the entity says who changed it.
UNWIND $rows AS row
MATCH (n:Entity {_blueprint: $blueprint, identifier: row.identifier})
SET n += row.nulls, n._text = row.text, n._hash = row.hash, n._updatedAt = $now, n._updatedBy = $actor
RETURN count(n) AS migrated
