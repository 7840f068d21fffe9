// Claims a source for one run, across replicas: succeeds only when no live run holds it.
// The lease is renewed while the run reports progress, so a crashed replica's claim expires.
MATCH (s:_Source {identifier: $identifier})
WHERE s.runId IS NULL OR s.leaseUntil < $now
SET s.runId = $runId, s.leaseUntil = $leaseUntil
RETURN s.identifier AS identifier
