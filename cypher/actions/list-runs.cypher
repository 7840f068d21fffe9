// Runs, newest first, narrowed by action, status, entity and who started them.
MATCH (r:_Run)
WHERE ($action IS NULL OR r.action = $action)
  AND ($status IS NULL OR r.status = $status)
  AND ($entity IS NULL OR r.entity = $entity)
  AND ($actor IS NULL OR r.createdBy = $actor OR r.createdById = $actor)
  AND ($beforeAt IS NULL OR r.createdAt < $beforeAt OR (r.createdAt = $beforeAt AND r.id < $beforeId))
RETURN r {.*} AS run
ORDER BY r.createdAt DESC, r.id DESC
LIMIT $limit
