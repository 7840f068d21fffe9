// A page of results of one scorecard, by entity identifier, among entities the caller may read.
MATCH (r:_ScoreResult {scorecard: $scorecard})
WHERE ($level IS NULL OR r.level = $level)
  AND ($below IS NULL OR r.levelIndex < $below)
  AND ($entity IS NULL OR r.entity = $entity)
  AND ($after IS NULL OR r.entity > $after)
MATCH (r)-[:_SCORES]->(e:Entity)
WHERE $$visible(e)$$
WITH r, e ORDER BY r.entity LIMIT $limit
RETURN r {.entity, .blueprint, .level, .score, .passed, .failed, .changedAt, title: e.title} AS result
