// For entities being updated: removes each outgoing relationship and pending relation of the
// relations the write sets ($rows: {s, sb, types, keep}) whose [type, target blueprint, target
// identifier] is not in `keep`. The written relations then hold exactly the desired targets
// (one for a single-valued relation), whatever the state the plan was computed from.
UNWIND $rows AS row
MATCH (s:Entity {identifier: row.s}) WHERE s._blueprint = row.sb
CALL (s, row) {
  OPTIONAL MATCH (s)-[r]->(t:Entity)
  WHERE type(r) IN row.types AND NOT [type(r), t._blueprint, t.identifier] IN row.keep
  DELETE r
  RETURN count(r) AS relationships
}
CALL (s, row) {
  OPTIONAL MATCH (s)-[:_PENDING_TO]->(pd:_Pending)
  WHERE pd.type IN row.types AND NOT [pd.type, pd.targetBlueprint, pd.targetIdentifier] IN row.keep
  DETACH DELETE pd
  RETURN count(pd) AS pending
}
RETURN sum(relationships + pending) AS deleted
