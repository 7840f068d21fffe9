// The latest runs on each of a list of entities (`blueprint:identifier`), newest first: the
// `runs` field of GraphQL entity types, one query for a whole page of entities.
UNWIND $entities AS entity
CALL (entity) {
  MATCH (r:_Run)
  WHERE r.entity = entity
  WITH r ORDER BY r.createdAt DESC, r.id DESC
  LIMIT $limit
  RETURN collect(r {.*}) AS runs
}
RETURN entity, runs
