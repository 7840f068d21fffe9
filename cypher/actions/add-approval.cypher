// Adds one approval or decline to a run still waiting for approval (appended under the run's write
// lock, so concurrent approvers are all kept).
MATCH (r:_Run {id: $id})
SET r._lock = true
REMOVE r._lock
WITH r
WHERE r.status = 'WAITING_FOR_APPROVAL'
SET r.approvals = coalesce(r.approvals, []) + $approval, r.updatedAt = $now
RETURN r {.*} AS run
