MATCH (s:_Scorecard)
RETURN s {.*} AS scorecard
ORDER BY s.identifier
