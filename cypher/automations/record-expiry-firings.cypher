// Records property.expired firings, for the lease holder only (the unique key fires each
// (automation, entity, value) once).
MATCH (l:_Lease {name: $lease})
WHERE l.holder = $holder AND l.until >= timestamp()
UNWIND $firings AS f
MERGE (x:_AutomationFiring {key: f.key})
  ON CREATE SET x += f, x.createdAt = timestamp(), x.attempts = 0
RETURN count(x) AS recorded
