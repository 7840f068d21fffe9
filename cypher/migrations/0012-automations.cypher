// Automations (server/src/actions/automations/, docs/actions.md "Automations").
// The audit sequence (audit/record-events.cypher numbers every event) and the index automations
// walk it by; events recorded before this migration have no number and are not seen by automations.
CREATE CONSTRAINT plexus_sequence_name IF NOT EXISTS FOR (s:_Sequence) REQUIRE s.name IS UNIQUE;
MERGE (s:_Sequence {name: 'audit'}) ON CREATE SET s.value = 0;
CREATE INDEX plexus_audit_seq IF NOT EXISTS FOR (a:_AuditEvent) ON (a.seq);
// Definitions, one node each.
CREATE CONSTRAINT plexus_automation_identifier IF NOT EXISTS FOR (a:_Automation) REQUIRE a.identifier IS UNIQUE;
// One firing per (automation, event): the key makes a second one impossible, whoever tries.
CREATE CONSTRAINT plexus_automation_firing_key IF NOT EXISTS FOR (f:_AutomationFiring) REQUIRE f.key IS UNIQUE;
CREATE INDEX plexus_automation_firing_state IF NOT EXISTS FOR (f:_AutomationFiring) ON (f.state, f.seq);
CREATE INDEX plexus_automation_firing_run IF NOT EXISTS FOR (f:_AutomationFiring) ON (f.runId);
// The consumer's cursor: the `seq` of the last audit event it processed. Created here at 0, so
// every numbered event is seen, including those written before the consumer first started.
CREATE CONSTRAINT plexus_automation_cursor_name IF NOT EXISTS FOR (c:_AutomationCursor) REQUIRE c.name IS UNIQUE;
MERGE (c:_AutomationCursor {name: 'automations'}) ON CREATE SET c.seq = 0;
CALL db.awaitIndexes(600);
