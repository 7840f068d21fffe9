// Audit events, newest first, filtered by whichever of the parameters are set.
MATCH (a:_AuditEvent)
WHERE ($blueprint IS NULL OR a.blueprint = $blueprint)
  AND ($identifier IS NULL OR a.identifier = $identifier)
  AND ($actor IS NULL OR a.actor = $actor)
  AND ($since IS NULL OR a.at >= $since)
  AND ($before IS NULL OR a.at < $before OR (a.at = $before AND a.id < $beforeId))
RETURN a {.*} AS event
ORDER BY a.at DESC, a.id DESC
LIMIT $limit
