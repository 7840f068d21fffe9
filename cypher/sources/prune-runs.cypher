// Keeps the latest $keep runs of a source.
MATCH (r:_SourceRun {source: $source})
WITH r ORDER BY r.startedAt DESC
SKIP $keep
DELETE r
RETURN count(r) AS pruned
