// Takes or renews the lease $name for $holder when it is free, expired or already theirs.
// Times are the database's clock (timestamp()), so replicas' clocks need not agree.
// The first SET takes the node's write lock, so the holder read after it is the latest
// committed one: two replicas cannot both see an expired lease and both take it.
// A new job's first run comes one period after its lease is created, as a timer's would.
MERGE (l:_Lease {name: $name})
  ON CREATE SET l.lastRunAt = timestamp()
SET l.checkedAt = timestamp()
WITH l, timestamp() AS now
WHERE l.holder IS NULL OR l.holder = $holder OR l.until < now
SET l.acquiredAt = CASE WHEN l.holder = $holder THEN l.acquiredAt ELSE now END,
    l.holder = $holder,
    l.until = now + $ttlMs
RETURN l.until AS until, l.acquiredAt AS acquiredAt
