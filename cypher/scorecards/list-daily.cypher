// Daily level distributions of one scorecard from $since (a YYYY-MM-DD day), oldest first.
MATCH (d:_ScoreDaily {scorecard: $scorecard})
WHERE d.day >= $since
RETURN d {.day, .levels, .counts, .total} AS day
ORDER BY d.day
