// Audit events, newest first, filtered by whichever of the parameters are set. Rows written before
// events carried kind and subject get them from their type and blueprint/identifier.
MATCH (a:_AuditEvent)
WITH a,
     coalesce(a.kind, split(a.type, '.')[0]) AS kind,
     coalesce(a.subject, CASE WHEN a.identifier IS NULL THEN a.blueprint ELSE a.blueprint + ':' + a.identifier END) AS subject
WHERE ($kind IS NULL OR kind = $kind)
  AND ($subject IS NULL OR subject = $subject)
  AND ($blueprint IS NULL OR a.blueprint = $blueprint)
  AND ($identifier IS NULL OR a.identifier = $identifier)
  AND ($actor IS NULL OR a.actor = $actor)
  AND ($since IS NULL OR a.at >= $since)
  AND ($before IS NULL OR a.at < $before OR (a.at = $before AND a.id < $beforeId))
RETURN a {.*, kind: kind, subject: subject} AS event
ORDER BY a.at DESC, a.id DESC
LIMIT $limit
