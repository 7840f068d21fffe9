UNWIND $identifiers AS id
MATCH (n:$$Label$$ {identifier: id})
SET n += $nulls, n._hash = null
RETURN count(n) AS removed
