// The stored blueprints named, with their bookkeeping fields (the before and after of an audited change).
MATCH (b:_Blueprint)
WHERE b.identifier IN $identifiers
RETURN b {.identifier, .definition, .createdAt, .updatedAt, .createdBy, .updatedBy, .applySet} AS blueprint
