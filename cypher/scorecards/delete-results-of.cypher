// Results of the given entities, which an evaluation no longer scored (deleted, or outside the filter).
UNWIND $entities AS entity
MATCH (r:_ScoreResult {scorecard: $scorecard, entity: entity})
DETACH DELETE r
RETURN count(*) AS deleted
