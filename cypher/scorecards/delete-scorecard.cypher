MATCH (s:_Scorecard {identifier: $identifier})
DETACH DELETE s
RETURN count(*) AS deleted
