// Scorecards: definitions, one result per (scorecard, entity), level history, daily distribution.
CREATE CONSTRAINT plexus_scorecard_identifier IF NOT EXISTS FOR (s:_Scorecard) REQUIRE s.identifier IS UNIQUE;
CREATE CONSTRAINT plexus_score_result IF NOT EXISTS FOR (r:_ScoreResult) REQUIRE (r.scorecard, r.entity) IS UNIQUE;
CREATE INDEX plexus_score_result_scorecard IF NOT EXISTS FOR (r:_ScoreResult) ON (r.scorecard);
CREATE INDEX plexus_score_result_level IF NOT EXISTS FOR (r:_ScoreResult) ON (r.scorecard, r.levelIndex);
CREATE INDEX plexus_level_change_scorecard IF NOT EXISTS FOR (c:_LevelChange) ON (c.scorecard);
CREATE INDEX plexus_level_change IF NOT EXISTS FOR (c:_LevelChange) ON (c.scorecard, c.entity);
CREATE INDEX plexus_level_change_at IF NOT EXISTS FOR (c:_LevelChange) ON (c.scorecard, c.at);
CREATE CONSTRAINT plexus_score_daily IF NOT EXISTS FOR (d:_ScoreDaily) REQUIRE (d.scorecard, d.day) IS UNIQUE;
