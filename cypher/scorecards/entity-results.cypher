// Every scorecard result of the given entities (refs = {blueprint, identifier}). An entity that
// exists but no scorecard scores answers with an empty list; one that does not exist, no row.
UNWIND $refs AS ref
MATCH (e:Entity {identifier: ref.identifier})
WHERE e._blueprint = ref.blueprint
OPTIONAL MATCH (e)<-[:_SCORES]-(r:_ScoreResult)
RETURN ref.blueprint AS blueprint, ref.identifier AS identifier,
       collect(r {.scorecard, .level, .score, .passed, .failed, .changedAt}) AS results
