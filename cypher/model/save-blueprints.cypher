// Writes blueprint definitions and bumps the model version in the same transaction. $applySet:
// the `plexus apply` set that saved them (null: saved otherwise, which takes them out of any set).
UNWIND $rows AS row
MERGE (b:_Blueprint {identifier: row.identifier})
ON CREATE SET b.createdAt = $now, b.createdBy = $actor
SET b.definition = row.definition, b.updatedAt = $now, b.updatedBy = $actor, b.applySet = $applySet
WITH count(b) AS written
MERGE (v:_ModelVersion {id: 'model'})
SET v.version = coalesce(v.version, 0) + 1
RETURN written, v.version AS version
