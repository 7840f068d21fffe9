// One blueprint's events (its own changes and its entities'), newest first, through the (blueprint, at) index: ordered
// by blueprint first (fixed by the lookup) so the index gives the order and the listing stops at its limit.
MATCH (a:_AuditEvent {blueprint: $blueprint}) USING INDEX a:_AuditEvent(blueprint, at)
WHERE $$include(audit/event-filters)$$
RETURN a {.*} AS event
ORDER BY a.blueprint DESC, a.at DESC, a.id DESC
LIMIT $limit
