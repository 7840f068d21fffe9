// Entities per level of one scorecard.
MATCH (r:_ScoreResult {scorecard: $scorecard})
RETURN r.level AS level, count(*) AS count
