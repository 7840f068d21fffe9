// Records how a firing's side effect ended, and the automation's last firing or error.
MATCH (f:_AutomationFiring {key: $key})
SET f.state = $state, f.finishedAt = timestamp(), f.error = $error, f.runId = $runId, f.status = $status
WITH f
OPTIONAL MATCH (a:_Automation {identifier: f.automation})
FOREACH (_ IN CASE WHEN a IS NULL THEN [] ELSE [1] END |
  SET a.lastFiredAt = CASE WHEN $state = 'done' THEN timestamp() ELSE a.lastFiredAt END,
      a.lastError = CASE WHEN $state = 'done' THEN a.lastError ELSE $error END,
      a.lastErrorAt = CASE WHEN $state = 'done' THEN a.lastErrorAt ELSE timestamp() END,
      a.firings = coalesce(a.firings, 0) + CASE WHEN $state = 'done' THEN 1 ELSE 0 END)
RETURN f.state AS state
