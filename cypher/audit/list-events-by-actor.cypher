// One actor's events, newest first, through the (actor, at) index: ordered
// by actor first (fixed by the lookup) so the index gives the order and the listing stops at its limit.
MATCH (a:_AuditEvent {actor: $actor}) USING INDEX a:_AuditEvent(actor, at)
WHERE $$include(audit/event-filters)$$
RETURN a {.*} AS event
ORDER BY a.actor DESC, a.at DESC, a.id DESC
LIMIT $limit
