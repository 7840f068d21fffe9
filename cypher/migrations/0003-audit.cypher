// Audit trail: one node per change, looked up by entity, actor and time.
CREATE CONSTRAINT plexus_audit_id IF NOT EXISTS FOR (a:_AuditEvent) REQUIRE a.id IS UNIQUE;
CREATE INDEX plexus_audit_entity IF NOT EXISTS FOR (a:_AuditEvent) ON (a.blueprint, a.identifier);
CREATE INDEX plexus_audit_at IF NOT EXISTS FOR (a:_AuditEvent) ON (a.at);
CREATE INDEX plexus_audit_actor IF NOT EXISTS FOR (a:_AuditEvent) ON (a.actor);
CREATE CONSTRAINT plexus_saved_query_identifier IF NOT EXISTS FOR (q:_SavedQuery) REQUIRE q.identifier IS UNIQUE;
