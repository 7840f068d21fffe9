// All blueprints with the model version they belong to, each with the version it was last saved
// at (0 when saved before versions were recorded).
OPTIONAL MATCH (v:_ModelVersion {id: 'model'})
WITH coalesce(v.version, 0) AS version
OPTIONAL MATCH (b:_Blueprint)
RETURN version, collect(b {.identifier, savedVersion: coalesce(b.version, 0), .definition, .createdAt, .updatedAt, .createdBy, .updatedBy, .applySet}) AS blueprints
