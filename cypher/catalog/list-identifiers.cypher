MATCH (n:$$label$$) RETURN n.identifier AS id LIMIT $limit
