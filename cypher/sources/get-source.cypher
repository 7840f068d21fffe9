// One source definition as stored (secrets included: for the server's own comparison, never for clients).
MATCH (s:_Source {identifier: $identifier})
RETURN properties(s) AS source
