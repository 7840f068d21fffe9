// Appends log lines to a run that has not ended and is under its line limit; each line takes the
// run's next event number. No row: the run has ended or is full. The first SET takes the run's
// write lock, so concurrent appends read the latest sequence number and never share one.
MATCH (r:_Run {id: $id})
SET r._lock = true
REMOVE r._lock
WITH r
WHERE NOT r.status IN $terminal AND coalesce(r.logCount, 0) + size($lines) <= $maxLines
WITH r, r.seq AS base
SET r.seq = base + size($lines), r.logCount = coalesce(r.logCount, 0) + size($lines), r.updatedAt = $now
WITH r, base
UNWIND range(0, size($lines) - 1) AS i
CREATE (e:_RunEvent {run: r.id, seq: base + i + 1, type: 'log', at: $now, message: $lines[i].message, level: $lines[i].level})
RETURN r {.*} AS run, e.seq AS seq
ORDER BY seq
