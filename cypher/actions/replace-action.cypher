// Replaces an action definition, keeping who created it and when.
MATCH (a:_Action {identifier: $action.identifier})
SET a = $action, a.createdAt = coalesce($createdAt, $action.createdAt), a.createdBy = coalesce($createdBy, $action.createdBy)
RETURN a {.*} AS action
