MERGE (q:_SavedQuery {identifier: $identifier})
ON CREATE SET q.createdAt = $now, q.createdBy = $actor
SET q.title = $title, q.description = $description, q.language = $language, q.query = $query, q.allowUnknown = $allowUnknown,
    q.updatedAt = $now, q.updatedBy = $actor
RETURN q {.*} AS query
