// A new API token; only the SHA-256 of its secret is stored.
CREATE (t:_Token {id: $id, name: $name, role: $role, hash: $hash, createdAt: $now, createdBy: $actor,
                  expiresAt: $expiresAt, bootstrap: $bootstrap, userId: $userId, blueprints: $blueprints})
RETURN t.id AS id
