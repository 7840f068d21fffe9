MATCH (a:_Action {identifier: $identifier})
RETURN a {.*} AS action
