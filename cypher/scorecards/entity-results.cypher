// Every scorecard result of the given entities (refs = {blueprint, identifier}).
UNWIND $refs AS ref
MATCH (e:Entity {identifier: ref.identifier})<-[:_SCORES]-(r:_ScoreResult)
WHERE e._blueprint = ref.blueprint
RETURN ref.blueprint AS blueprint, ref.identifier AS identifier,
       collect(r {.scorecard, .level, .score, .passed, .failed, .changedAt}) AS results
