// One automation's firings, newest first (operators and tests).
MATCH (f:_AutomationFiring {automation: $automation})
RETURN f {.*} AS firing
ORDER BY f.seq DESC, f.key DESC
LIMIT $limit
