// Records that a source also feeds entities whose content already was what it reports (so no
// content write happened to stamp it). Provenance only: content and hash stay as they are.
UNWIND $refs AS ref
MATCH (n:Entity {identifier: ref.identifier}) WHERE n._blueprint = ref.blueprint AND NOT $source IN coalesce(n._sources, [])
SET n._sources = coalesce(n._sources, []) + $source,
    n._lastRunId = coalesce($runId, n._lastRunId)
RETURN count(n) AS stamped
