// One automation definition.
MATCH (a:_Automation {identifier: $identifier})
RETURN a {.*} AS automation
