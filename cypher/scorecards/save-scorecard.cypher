// Creates or replaces a scorecard definition; rules and filter are JSON text (nested lists of maps).
// $applySet: the `plexus apply` set that saved it (null: saved otherwise, out of any set).
MERGE (s:_Scorecard {identifier: $identifier})
ON CREATE SET s.createdAt = $now, s.createdBy = $actor
SET s.title = $title, s.description = $description, s.blueprint = $blueprint, s.filter = $filter,
    s.levels = $levels, s.rules = $rules, s.updatedAt = $now, s.updatedBy = $actor,
    s.applySet = $applySet
RETURN s {.*} AS scorecard
