MATCH (q:_SavedQuery {identifier: $identifier}) RETURN q {.*} AS query
