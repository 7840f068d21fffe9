// What a scorecard's results say now, to write back only what a full evaluation changed: the
// hash of each result's outcome (level, score, rules passed and failed), which is all the
// comparison needs, so 100k results stream back as 100k short strings. Results written before
// results carried a hash return their outcome instead.
MATCH (r:_ScoreResult {scorecard: $scorecard})
RETURN r.entity AS entity,
       r.hash AS hash,
       CASE WHEN r.hash IS NULL THEN r {.level, .score, .passed, .failed} END AS legacy
