// Changes a run only while its status is one of $from (so two transitions cannot both win, and an
// ended run never changes again), and records the change as the run's next event. The first SET
// takes the run's write lock before its status and sequence number are read.
MATCH (r:_Run {id: $id})
SET r._lock = true
REMOVE r._lock
WITH r
WITH r, r.status AS before
WHERE before IN $from
SET r += $patch, r.updatedAt = $now, r.seq = r.seq + 1
CREATE (:_RunEvent {run: r.id, seq: r.seq, type: 'status', status: r.status, statusLabel: r.statusLabel,
                    link: r.link, summary: r.summary, at: $now})
RETURN r {.*} AS run, before
