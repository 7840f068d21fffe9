// Removes a source definition and its runs (its ledger is removed with its entities, separately).
MATCH (s:_Source {identifier: $identifier})
OPTIONAL MATCH (r:_SourceRun {source: $identifier})
DETACH DELETE r
WITH DISTINCT s
DETACH DELETE s
RETURN count(s) AS deleted
