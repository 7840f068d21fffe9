// What a scorecard's results say now for some entities (a partial run).
UNWIND $entities AS entity
MATCH (r:_ScoreResult {scorecard: $scorecard, entity: entity})
RETURN r.entity AS entity, r.level AS level, r.score AS score, r.passed AS passed, r.failed AS failed
