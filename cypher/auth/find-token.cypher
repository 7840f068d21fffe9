// The token with this hash and, when it belongs to one, its user with their teams.
MATCH (t:_Token {hash: $hash})
OPTIONAL MATCH (u:_User {id: t.userId})
RETURN t {.id, .name, .role, .expiresAt, .userId, .blueprints} AS token,
       CASE WHEN u IS NULL THEN null ELSE u {.id, .name, .kind, .role, .moderates, .disabled, teams: [(u)-[:_MEMBER_OF]->(m:_Team) | m.identifier]} END AS user
