MATCH (r:_SourceRun {id: $id, source: $source})
RETURN properties(r) AS run
