MATCH (t:_Token {id: $id}) RETURN t {.id, .userId} AS token
