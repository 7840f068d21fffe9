// Actions and runs (server/src/actions): definitions by identifier; runs by id, by the hash of
// their token (executors report with it), by status (the timeout sweep, the approvals inbox) and
// by creation time (listings); run events (status changes, log lines) by run and sequence.
CREATE CONSTRAINT plexus_action_identifier IF NOT EXISTS FOR (a:_Action) REQUIRE a.identifier IS UNIQUE;
CREATE CONSTRAINT plexus_run_id IF NOT EXISTS FOR (r:_Run) REQUIRE r.id IS UNIQUE;
CREATE INDEX plexus_run_token IF NOT EXISTS FOR (r:_Run) ON (r.tokenHash);
CREATE INDEX plexus_run_status IF NOT EXISTS FOR (r:_Run) ON (r.status);
CREATE INDEX plexus_run_created IF NOT EXISTS FOR (r:_Run) ON (r.createdAt);
CREATE INDEX plexus_run_event IF NOT EXISTS FOR (e:_RunEvent) ON (e.run, e.seq);
CREATE INDEX plexus_run_entity IF NOT EXISTS FOR (r:_Run) ON (r.entity, r.createdAt);
