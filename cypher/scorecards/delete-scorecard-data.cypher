// One batch of what a deleted scorecard leaves behind: results, level changes, daily counts.
// The caller repeats it until it deletes nothing, so no transaction grows with the catalog.
CALL {
  MATCH (r:_ScoreResult {scorecard: $scorecard}) RETURN r AS n LIMIT $batch
  UNION
  MATCH (c:_LevelChange {scorecard: $scorecard}) RETURN c AS n LIMIT $batch
  UNION
  MATCH (d:_ScoreDaily {scorecard: $scorecard}) RETURN d AS n LIMIT $batch
}
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
