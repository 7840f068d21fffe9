MATCH (s:_Scorecard {identifier: $identifier})
RETURN s {.*} AS scorecard
