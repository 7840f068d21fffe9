// Ranked full-text search over identifier, title and string properties of every entity the
// caller may read ($$visibleNode$$ is the predicate of server/src/auth/read-scope-cypher.ts).
CALL db.index.fulltext.queryNodes('plexus_entity_search', $query) YIELD node, score
WHERE ($blueprint IS NULL OR node._blueprint = $blueprint) AND $$visibleNode$$
RETURN node {.identifier, .title, blueprint: node._blueprint} AS entity, score
ORDER BY score DESC, node.identifier ASC
LIMIT $limit
