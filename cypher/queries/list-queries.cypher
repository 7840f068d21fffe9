MATCH (q:_SavedQuery) RETURN q {.*} AS query ORDER BY q.identifier
