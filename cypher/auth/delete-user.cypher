// Removes a user with their tokens (a removed user's tokens must stop working at once).
MATCH (u:_User {id: $id})
OPTIONAL MATCH (t:_Token {userId: $id})
DETACH DELETE t
WITH DISTINCT u
DETACH DELETE u
RETURN count(u) AS deleted
