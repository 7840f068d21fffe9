MATCH (r:_SourceRun {source: $source})
RETURN properties(r) AS run
ORDER BY r.startedAt DESC
LIMIT $limit
