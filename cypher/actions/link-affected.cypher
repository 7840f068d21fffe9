// Entities written with ?runId=<run> become the run's affected entities, while it is in progress.
MATCH (r:_Run {id: $runId})
SET r._lock = true
REMOVE r._lock
WITH r
WHERE r.status = 'IN_PROGRESS'
UNWIND $refs AS ref
MATCH (n:Entity {identifier: ref.identifier}) WHERE n._blueprint = ref.blueprint
MERGE (r)-[:_AFFECTED]->(n)
WITH r, collect(ref.blueprint + ':' + ref.identifier) AS refs
SET r.affected = coalesce(r.affected, []) + [x IN refs WHERE NOT x IN coalesce(r.affected, [])]
RETURN size(refs) AS linked
