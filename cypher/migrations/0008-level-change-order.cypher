// Level changes are listed newest first with the entity breaking ties (a first evaluation writes
// every entity's change at the same time): with entity in the index, the order comes whole from it.
CREATE INDEX plexus_level_change_order IF NOT EXISTS FOR (c:_LevelChange) ON (c.scorecard, c.at, c.entity);
DROP INDEX plexus_level_change_at IF EXISTS;
// The listing names this index in a hint, which fails while an index is still being populated.
CALL db.awaitIndexes(600);
