// What a scorecard's results say now, to write back only what an evaluation changed.
MATCH (r:_ScoreResult {scorecard: $scorecard})
RETURN r.entity AS entity, r.level AS level, r.score AS score, r.passed AS passed, r.failed AS failed
