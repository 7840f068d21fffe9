// Marks a firing as started, for the lease holder only: its side effect starts after this commits.
MATCH (l:_Lease {name: $lease})
WHERE l.holder = $holder AND l.until >= timestamp()
MATCH (f:_AutomationFiring {key: $key})
WHERE f.state IN ['pending', 'running']
SET f.state = 'running', f.holder = $holder, f.startedAt = timestamp(), f.attempts = coalesce(f.attempts, 0) + 1
RETURN f.attempts AS attempts
