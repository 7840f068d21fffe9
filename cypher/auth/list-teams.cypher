// Teams with their members.
MATCH (t:_Team)
WHERE $identifiers IS NULL OR t.identifier IN $identifiers
RETURN t {.identifier, .title, .description, .createdAt, .createdBy, .updatedAt,
          members: [(u:_User)-[:_MEMBER_OF]->(t) | u.id]} AS team
ORDER BY t.identifier
