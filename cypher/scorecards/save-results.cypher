// One batch of new or changed results of a scorecard on $blueprint entities (unchanged ones are
// not written). The previous level is read before it is overwritten, in the same transaction, so
// a level change is recorded exactly once.
UNWIND $rows AS row
MATCH (e:Entity {_blueprint: $blueprint, identifier: row.entity})
MERGE (r:_ScoreResult {scorecard: $scorecard, entity: row.entity})
WITH e, r, row, r.level AS previous
SET r.blueprint = $blueprint, r.level = row.level, r.levelIndex = row.levelIndex, r.score = row.score,
    r.passed = row.passed, r.failed = row.failed, r.hash = row.hash, r.changedAt = $now
MERGE (r)-[:_SCORES]->(e)
WITH row, previous
WHERE previous IS NULL OR previous <> row.level
CREATE (:_LevelChange {scorecard: $scorecard, blueprint: $blueprint, entity: row.entity, from: previous, to: row.level, at: $now})
RETURN row.entity AS entity, previous AS from, row.level AS to
