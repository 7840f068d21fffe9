MATCH (n:$$Label$$) RETURN n.identifier AS id LIMIT $limit
