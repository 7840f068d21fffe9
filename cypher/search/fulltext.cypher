// Ranked full-text search over identifier, title and string properties of every entity the
// caller may read ($$visibleNode$$ is the predicate of server/src/auth/read-scope-cypher.ts).
// Equal scores are common (similar titles); they are ordered by the node's element id, which
// is stable and read without touching the node, where ordering by identifier read a property of
// every hit before the top ones were picked (2,000 reads for a word in a fifth of 10,000 titles).
CALL db.index.fulltext.queryNodes('plexus_entity_search', $query) YIELD node, score
WHERE ($blueprint IS NULL OR node._blueprint = $blueprint) AND $$visibleNode$$
RETURN node {.identifier, .title, blueprint: node._blueprint} AS entity, score
ORDER BY score DESC, elementId(node)
LIMIT $limit
