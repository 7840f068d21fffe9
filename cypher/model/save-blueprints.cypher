// Writes blueprint definitions and bumps the model version in the same transaction. Each saved
// blueprint records that version (`b.version`): a catalog write re-checks its records only when
// a blueprint it depends on was saved since it checked them (blueprint-versions.cypher).
// $applySet: the `plexus apply` set that saved them (null: saved otherwise, which takes them out
// of any set).
MERGE (v:_ModelVersion {id: 'model'})
SET v.version = coalesce(v.version, 0) + 1
WITH v
UNWIND $rows AS row
MERGE (b:_Blueprint {identifier: row.identifier})
ON CREATE SET b.createdAt = $now, b.createdBy = $actor
SET b.definition = row.definition, b.updatedAt = $now, b.updatedBy = $actor, b.applySet = $applySet, b.version = v.version
WITH v, count(b) AS written
RETURN written, v.version AS version
