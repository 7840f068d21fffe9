// Audit listings seek an index instead of scanning every event (audit/list-events-by-*.cypher):
// one index per lookup (subject = an entity's or object's history, actor, blueprint, kind), each
// with `at` second so the index returns the events newest first and a page stops at its limit.
// Events written before kind and subject were recorded get them, so the subject index finds them too.
MATCH (a:_AuditEvent) WHERE a.subject IS NULL OR a.kind IS NULL
SET a.kind = coalesce(a.kind, split(a.type, '.')[0]),
    a.subject = coalesce(a.subject, CASE WHEN a.identifier IS NULL THEN a.blueprint ELSE a.blueprint + ':' + a.identifier END);
CREATE INDEX plexus_audit_subject_at IF NOT EXISTS FOR (a:_AuditEvent) ON (a.subject, a.at);
CREATE INDEX plexus_audit_actor_at IF NOT EXISTS FOR (a:_AuditEvent) ON (a.actor, a.at);
CREATE INDEX plexus_audit_blueprint_at IF NOT EXISTS FOR (a:_AuditEvent) ON (a.blueprint, a.at);
CREATE INDEX plexus_audit_kind_at IF NOT EXISTS FOR (a:_AuditEvent) ON (a.kind, a.at);
// Replaced by the ones above: (blueprint, identifier) served no query, (actor) is a prefix of (actor, at).
DROP INDEX plexus_audit_entity IF EXISTS;
DROP INDEX plexus_audit_actor IF EXISTS;
// The queries name these indexes in hints, which fail while an index is still being populated.
CALL db.awaitIndexes(600);
