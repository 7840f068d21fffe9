// The level distribution of a scorecard for one day: the latest evaluation of the day wins.
MERGE (d:_ScoreDaily {scorecard: $scorecard, day: $day})
SET d.levels = $levels, d.counts = $counts, d.total = $total, d.updatedAt = $now
RETURN d.day AS day
