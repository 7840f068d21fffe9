// Level changes of one scorecard, newest first, among entities the caller may read now.
MATCH (c:_LevelChange {scorecard: $scorecard})
WHERE ($entity IS NULL OR c.entity = $entity)
  AND ($since IS NULL OR c.at >= $since)
  AND ($before IS NULL OR c.at < $before OR (c.at = $before AND c.entity < $beforeEntity))
MATCH (e:Entity {identifier: c.entity})
WHERE e._blueprint = c.blueprint AND $$visible(e)$$
WITH c ORDER BY c.at DESC, c.entity DESC LIMIT $limit
RETURN c {.entity, .blueprint, .from, .to, .at} AS change
