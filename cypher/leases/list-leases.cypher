// Every lease with its holder (null when free or expired), for operators and tests.
MATCH (l:_Lease)
WITH l, timestamp() AS now
RETURN l.name AS name,
       CASE WHEN l.until >= now THEN l.holder ELSE null END AS holder,
       l.until AS until,
       l.lastRunAt AS lastRunAt,
       coalesce(l.runs, 0) AS runs
ORDER BY name
