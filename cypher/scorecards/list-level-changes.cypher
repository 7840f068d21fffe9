// Level changes of one scorecard, newest first, among entities the caller may read now. Walks the
// (scorecard, at, entity) index backwards between $lower (since, or '') and $upper (the cursor's
// time, or the latest possible), so a page stops at its limit instead of sorting the whole history.
MATCH (c:_LevelChange {scorecard: $scorecard}) USING INDEX c:_LevelChange(scorecard, at, entity)
WHERE c.at >= $lower AND c.at <= $upper AND c.entity IS NOT NULL
  AND ($beforeEntity IS NULL OR c.at < $upper OR c.entity < $beforeEntity)
  AND ($entity IS NULL OR c.entity = $entity)
MATCH (e:Entity {identifier: c.entity})
WHERE e._blueprint = c.blueprint AND $$visibleE$$
WITH c ORDER BY c.scorecard DESC, c.at DESC, c.entity DESC LIMIT $limit
RETURN c {.entity, .blueprint, .from, .to, .at} AS change
