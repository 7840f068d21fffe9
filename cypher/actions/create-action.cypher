// Stores a new action definition; answers no row when the identifier is taken (the unique
// constraint also refuses a concurrent create).
OPTIONAL MATCH (existing:_Action {identifier: $action.identifier})
WITH count(existing) AS taken
CALL (taken) {
  WITH taken WHERE taken = 0
  CREATE (a:_Action)
  SET a = $action
  RETURN a {.*} AS action
}
RETURN action
