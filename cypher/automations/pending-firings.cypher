// Firings whose side effect has not finished, oldest first: `pending` ones, and `running` ones a
// holder left behind when it died.
MATCH (f:_AutomationFiring) WHERE f.state IN ['pending', 'running']
RETURN f {.*} AS firing
ORDER BY f.seq, f.key
LIMIT $limit
