// A run's events (or only its log lines) after a sequence number, in order.
MATCH (e:_RunEvent {run: $id})
WHERE e.seq > $after AND ($type IS NULL OR e.type = $type)
RETURN e {.*} AS event
ORDER BY e.seq
LIMIT $limit
