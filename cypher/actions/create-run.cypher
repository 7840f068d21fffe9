// Stores a new run with its first status event, linked to its action, its target entity and the
// user who started it (when they exist).
MATCH (a:_Action {identifier: $run.action})
CREATE (r:_Run)
SET r = $run, r.seq = 1
CREATE (r)-[:_OF_ACTION]->(a)
CREATE (:_RunEvent {run: r.id, seq: 1, type: 'status', status: r.status, statusLabel: r.statusLabel, at: r.createdAt})
WITH r
CALL (r) {
  OPTIONAL MATCH (e:Entity {identifier: $entityIdentifier}) WHERE e._blueprint = $entityBlueprint
  FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | CREATE (r)-[:_TARGETS]->(e))
}
CALL (r) {
  OPTIONAL MATCH (u:_User {id: $actorId})
  FOREACH (_ IN CASE WHEN u IS NULL THEN [] ELSE [1] END | CREATE (r)-[:_STARTED_BY]->(u))
}
RETURN r {.*} AS run
