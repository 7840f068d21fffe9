MATCH (t:_Token {hash: $hash})
RETURN t {.id, .name, .role, .expiresAt, .lastUsedAt} AS token
