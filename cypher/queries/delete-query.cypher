MATCH (q:_SavedQuery {identifier: $identifier}) DELETE q RETURN count(*) AS deleted
