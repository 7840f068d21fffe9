// Deletes an action; its runs stay (they name the action by identifier).
MATCH (a:_Action {identifier: $identifier})
DETACH DELETE a
RETURN count(*) AS deleted
