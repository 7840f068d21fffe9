// The depth of the firings that started these runs: a change made by such a run fires at depth + 1.
MATCH (f:_AutomationFiring) WHERE f.runId IN $runIds
RETURN f.runId AS runId, max(f.depth) AS depth
