MATCH (t:_Team {identifier: $identifier}) DETACH DELETE t RETURN count(t) AS deleted
