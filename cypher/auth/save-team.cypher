// Creates or updates a team; when members are given they replace the current ones.
MERGE (t:_Team {identifier: $team.identifier})
ON CREATE SET t.createdAt = $now, t.createdBy = $actor
SET t.title = $team.title, t.description = $team.description, t.updatedAt = $now
WITH t
CALL (t) {
  WITH t WHERE $team.members IS NOT NULL
  OPTIONAL MATCH (:_User)-[old:_MEMBER_OF]->(t)
  DELETE old
  WITH DISTINCT t
  UNWIND $team.members AS member
  MATCH (u:_User {id: member})
  MERGE (u)-[:_MEMBER_OF]->(t)
}
RETURN t.identifier AS identifier
