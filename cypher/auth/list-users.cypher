// Users and service accounts with their teams; all, or the ones named.
MATCH (u:_User)
WHERE $ids IS NULL OR u.id IN $ids
RETURN u {.id, .name, .email, .kind, .role, .moderates, .disabled, .createdAt, .createdBy, .updatedAt, .updatedBy,
          teams: [(u)-[:_MEMBER_OF]->(m:_Team) | m.identifier]} AS user
ORDER BY u.id
