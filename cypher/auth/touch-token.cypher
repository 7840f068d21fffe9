MATCH (t:_Token {id: $id}) SET t.lastUsedAt = $now
