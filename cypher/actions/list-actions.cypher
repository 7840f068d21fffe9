// Every action, or those of one blueprint, in identifier order.
MATCH (a:_Action)
WHERE $blueprint IS NULL OR a.blueprint = $blueprint
RETURN a {.*} AS action
ORDER BY a.identifier
