// An action firing that another holder marked running and never finished (it died, or lost the
// lease while paused): ended `interrupted` and reported, never run again (at most once). For the
// lease holder only; no row back when this replica does not hold the lease.
MATCH (l:_Lease {name: $lease})
WHERE l.holder = $holder AND l.until >= timestamp()
MATCH (f:_AutomationFiring {key: $key})
WHERE f.state = 'running' AND coalesce(f.holder, '') <> $holder
SET f.state = 'interrupted', f.finishedAt = timestamp(), f.error = $error
WITH f
OPTIONAL MATCH (a:_Automation {identifier: f.automation})
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END | SET a.lastError = $error, a.lastErrorAt = timestamp())
RETURN f.state AS state
