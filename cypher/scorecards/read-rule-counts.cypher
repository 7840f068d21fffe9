// How many entities pass each rule of one scorecard.
MATCH (r:_ScoreResult {scorecard: $scorecard})
UNWIND r.passed AS rule
RETURN rule, count(*) AS passed
