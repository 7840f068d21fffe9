// Runs still in progress past their deadline (started + the action's timeout).
MATCH (r:_Run {status: 'IN_PROGRESS'})
WHERE r.deadlineMs < $nowMs
RETURN r.id AS id
LIMIT 1000
