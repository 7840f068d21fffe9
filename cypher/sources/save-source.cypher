// Creates or replaces a source definition. Secrets live in s.config; no query returns it to clients.
MERGE (s:_Source {identifier: $source.identifier})
ON CREATE SET s.createdAt = $now, s.createdBy = $actor
SET s.type = $source.type,
    s.config = $source.config,
    s.mapping = $source.mapping,
    s.schedule = $source.schedule,
    s.deletionThreshold = $source.deletionThreshold,
    s.origin = $source.origin,
    s.applySet = $source.applySet,
    s.updatedAt = $now,
    s.updatedBy = $actor
RETURN s.identifier AS identifier
