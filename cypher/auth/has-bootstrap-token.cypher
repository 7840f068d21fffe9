MATCH (t:_Token {bootstrap: true}) RETURN count(t) > 0 AS present
