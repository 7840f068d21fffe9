// One subject's history (an entity as blueprint:identifier, or an object), newest first, through the (subject, at) index: ordered
// by subject first (fixed by the lookup) so the index gives the order and the listing stops at its limit.
MATCH (a:_AuditEvent {subject: $subject}) USING INDEX a:_AuditEvent(subject, at)
WHERE $$include(audit/event-filters)$$
RETURN a {.*} AS event
ORDER BY a.subject DESC, a.at DESC, a.id DESC
LIMIT $limit
