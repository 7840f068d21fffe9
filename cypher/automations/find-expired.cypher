// Entities of $$label$$ whose date property $property passed (after $since: the automation's
// creation) and that have not fired yet for that value. A scan of the blueprint's entities.
MATCH (e:$$label$$)
WHERE e[$property] IS NOT NULL
WITH e, e[$property] AS value
WHERE datetime(value) <= datetime() AND datetime(value) > datetime($since)
  AND NOT EXISTS { MATCH (f:_AutomationFiring {key: $prefix + e.identifier + '|' + value}) }
RETURN e.identifier AS identifier, value
ORDER BY value, identifier
LIMIT $limit
