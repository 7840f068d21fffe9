// Records firings (one per automation and event: the unique key makes a second impossible),
// in the transaction that advances the cursor past their events. `cut` ones (a loop reached the
// depth limit) are recorded without a side effect, and reported on the automation.
UNWIND $firings AS f
MERGE (x:_AutomationFiring {key: f.key})
  ON CREATE SET x += f, x.createdAt = timestamp(), x.attempts = 0
WITH x, f
OPTIONAL MATCH (a:_Automation {identifier: f.automation})
FOREACH (_ IN CASE WHEN f.state = 'cut' AND a IS NOT NULL THEN [1] ELSE [] END |
  SET a.lastError = f.error, a.lastErrorAt = timestamp())
RETURN count(x) AS recorded
