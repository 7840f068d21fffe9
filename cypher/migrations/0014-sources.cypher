// Sources, their runs and their ledgers (were created by the sources module at start until 0014).
CREATE CONSTRAINT plexus_source_identifier IF NOT EXISTS FOR (s:_Source) REQUIRE s.identifier IS UNIQUE;
CREATE CONSTRAINT plexus_source_run_id IF NOT EXISTS FOR (r:_SourceRun) REQUIRE r.id IS UNIQUE;
CREATE INDEX plexus_source_run_source IF NOT EXISTS FOR (r:_SourceRun) ON (r.source, r.startedAt);
CREATE CONSTRAINT plexus_source_item_id IF NOT EXISTS FOR (i:_SourceItem) REQUIRE i.id IS UNIQUE;
CREATE INDEX plexus_source_item_source IF NOT EXISTS FOR (i:_SourceItem) ON (i.source);
CREATE INDEX plexus_source_item_key IF NOT EXISTS FOR (i:_SourceItem) ON (i.key)
