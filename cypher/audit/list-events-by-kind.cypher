// The events of one kind (entity, blueprint, scorecard...), newest first, through the (kind, at) index: ordered
// by kind first (fixed by the lookup) so the index gives the order and the listing stops at its limit.
MATCH (a:_AuditEvent {kind: $kind}) USING INDEX a:_AuditEvent(kind, at)
WHERE $$include(audit/event-filters)$$
RETURN a {.*} AS event
ORDER BY a.kind DESC, a.at DESC, a.id DESC
LIMIT $limit
