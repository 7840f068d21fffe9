// The run a report token belongs to (only its hash is stored).
MATCH (r:_Run {tokenHash: $hash})
RETURN r.id AS id, r.status AS status
