// Revokes a token; returns what it was (never its hash) for the audit trail.
MATCH (t:_Token {id: $id})
WITH t, t {.id, .name, .role, .createdAt, .createdBy, .expiresAt, .lastUsedAt, .bootstrap, .userId, .blueprints} AS token
DELETE t
RETURN token
