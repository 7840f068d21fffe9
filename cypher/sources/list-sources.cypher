// Every source with its latest run and its entity count (from the ledger's index).
MATCH (s:_Source)
WHERE $identifier IS NULL OR s.identifier = $identifier
OPTIONAL CALL (s) {
  MATCH (r:_SourceRun {source: s.identifier})
  RETURN r ORDER BY r.startedAt DESC LIMIT 1
}
RETURN properties(s) AS source,
       CASE WHEN r IS NULL THEN null ELSE properties(r) END AS lastRun,
       COUNT { MATCH (i:_SourceItem {source: 'connector:' + s.identifier}) } AS entityCount
ORDER BY s.identifier
