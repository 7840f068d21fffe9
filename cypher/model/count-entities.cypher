MATCH (n:$$Label$$) RETURN count(n) AS count
