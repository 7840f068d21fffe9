MATCH (b:_Blueprint {identifier: $identifier})
DELETE b
WITH count(b) AS deleted
MERGE (v:_ModelVersion {id: 'model'})
SET v.version = coalesce(v.version, 0) + 1
RETURN deleted, v.version AS version
