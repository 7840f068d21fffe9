CREATE (t:_Token {id: $id, name: $name, role: $role, hash: $hash, createdAt: $now, createdBy: $actor, expiresAt: $expiresAt, bootstrap: $bootstrap})
RETURN t.id AS id
