// Every audit event, newest first, walking the `at` index (the listing stops at its limit);
// audit.ts uses the list-events-by-*.cypher queries when a subject, actor, blueprint or kind is given.
MATCH (a:_AuditEvent) USING INDEX a:_AuditEvent(at)
WHERE $$include(audit/event-filters)$$
RETURN a {.*} AS event
ORDER BY a.at DESC, a.id DESC
LIMIT $limit
