// Marks a run of the job $name as started when $holder holds its lease and no run started in
// the last $periodMs (by any holder): the period survives a change of holder.
MATCH (l:_Lease {name: $name})
SET l.checkedAt = timestamp()
WITH l, timestamp() AS now
WHERE l.holder = $holder AND l.until >= now AND coalesce(l.lastRunAt, 0) <= now - $periodMs
SET l.lastRunAt = now, l.runs = coalesce(l.runs, 0) + 1
RETURN now AS at
