// Creates or updates a run record; renews the source's lease while the run is live.
MERGE (r:_SourceRun {id: $run.id})
SET r += $run
WITH r
OPTIONAL MATCH (s:_Source {identifier: r.source}) WHERE s.runId = r.id
SET s.leaseUntil = CASE WHEN s IS NULL THEN null ELSE $leaseUntil END
RETURN r.id AS id
