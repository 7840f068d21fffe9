// First query of an upsert's write transaction, one per blueprint: takes the write lock of every
// entity the batch names and reads its state under that lock, so nothing another writer commits
// can slip between this read and the writes planned from it (the relation diff, the change
// events). $rows are sorted by identifier and the blueprints sent in order: concurrent writers
// of overlapping batches take their locks in the same order (deadlocks that remain are retried).
// - An entity that does not exist yet is created bare (MERGE holds the uniqueness constraint's
//   lock, so a concurrent creator waits for this transaction) and reported `created`;
//   write-nodes.cypher fills it in, in the same transaction. The constraint is the one on
//   (:Entity) (_blueprint, identifier), migration 0015: a new blueprint needs no schema change.
// - An existing one is locked by setting and removing a marker property: net no change.
// - Properties and relations come back only when the stored hash differs from row.hash (null:
//   always, for merges), so a record whose content is unchanged costs a lock and a compare.
UNWIND $rows AS row
MERGE (n:Entity {_blueprint: $blueprint, identifier: row.identifier})
ON CREATE SET n:$$label$$, n._lockCreated = true
SET n._locked = true
WITH row, n, n._lockCreated IS NOT NULL AS created
REMOVE n._locked, n._lockCreated
WITH row, n, created, NOT created AND (row.hash IS NULL OR coalesce(n._hash <> row.hash, true)) AS differs
RETURN row.identifier AS identifier,
       created,
       n._hash AS hash,
       n._updatedAt AS updatedAt,
       CASE WHEN differs THEN properties(n) END AS props,
       CASE WHEN differs THEN
         [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] +
         [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]]
       END AS rels
