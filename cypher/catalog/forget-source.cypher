// Removes one source from the provenance of entities and of their outgoing relationships, after
// that source's contribution has been taken out of their content. Content and hash stay as they are.
UNWIND $refs AS ref
MATCH (n:Entity {identifier: ref.identifier}) WHERE n._blueprint = ref.blueprint AND $source IN coalesce(n._sources, [])
SET n._sources = [s IN n._sources WHERE s <> $source]
WITH n
CALL (n) {
  MATCH (n)-[r]->(:Entity) WHERE $source IN coalesce(r._sources, [])
  SET r._sources = [s IN r._sources WHERE s <> $source]
  RETURN count(r) AS relationships
}
RETURN count(n) AS forgotten
