// Creates or updates a user; teams replace the memberships (named teams are created if missing).
MERGE (u:_User {id: $user.id})
ON CREATE SET u.createdAt = $now, u.createdBy = $actor
SET u.name = $user.name, u.email = $user.email, u.kind = $user.kind, u.role = $user.role,
    u.moderates = $user.moderates, u.disabled = $user.disabled, u.updatedAt = $now, u.updatedBy = $actor
WITH u
OPTIONAL MATCH (u)-[old:_MEMBER_OF]->(:_Team)
DELETE old
WITH DISTINCT u
UNWIND (CASE WHEN size($user.teams) = 0 THEN [null] ELSE $user.teams END) AS team
CALL (u, team) {
  WITH u, team WHERE team IS NOT NULL
  MERGE (t:_Team {identifier: team})
  ON CREATE SET t.title = team, t.createdAt = $now, t.createdBy = $actor
  MERGE (u)-[:_MEMBER_OF]->(t)
}
RETURN DISTINCT u.id AS id
