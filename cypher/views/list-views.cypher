// Saved views of one blueprint (or all when $blueprint is null), alphabetical so a team's list is stable.
MATCH (v:_View)
WHERE $blueprint IS NULL OR v.blueprint = $blueprint
RETURN v {.*} AS view
ORDER BY v.blueprint, toLower(v.name), v.createdAt
