// The latest evaluation's outcome (JSON text), read back with the definition.
MATCH (s:_Scorecard {identifier: $identifier})
SET s.status = $status
RETURN s.identifier AS identifier
