// Tokens without their hashes; all of them, or one user's.
MATCH (t:_Token)
WHERE $userId IS NULL OR t.userId = $userId
RETURN t {.id, .name, .role, .createdAt, .createdBy, .expiresAt, .lastUsedAt, .bootstrap, .userId, .blueprints} AS token
ORDER BY t.createdAt
