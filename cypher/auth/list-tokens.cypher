MATCH (t:_Token)
RETURN t {.id, .name, .role, .createdAt, .createdBy, .expiresAt, .lastUsedAt, .bootstrap} AS token
ORDER BY t.createdAt
