// A page of results of one scorecard, by entity identifier, among entities the caller may read.
// Walks the (scorecard, entity) uniqueness index in order from the cursor ($after: '' for the
// first page), so a page stops at its limit instead of sorting every result of the scorecard.
MATCH (r:_ScoreResult {scorecard: $scorecard}) USING INDEX r:_ScoreResult(scorecard, entity)
WHERE r.entity > $after
  AND ($level IS NULL OR r.level = $level)
  AND ($below IS NULL OR r.levelIndex < $below)
  AND ($entity IS NULL OR r.entity = $entity)
MATCH (r)-[:_SCORES]->(e:Entity)
WHERE $$visibleE$$
WITH r, e ORDER BY r.scorecard, r.entity LIMIT $limit
RETURN r {.entity, .blueprint, .level, .score, .passed, .failed, .changedAt, title: e.title} AS result
