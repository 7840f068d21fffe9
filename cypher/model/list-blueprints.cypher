// All blueprints with the model version they belong to.
OPTIONAL MATCH (v:_ModelVersion {id: 'model'})
WITH coalesce(v.version, 0) AS version
OPTIONAL MATCH (b:_Blueprint)
RETURN version, collect(b {.identifier, .definition, .createdAt, .updatedAt, .createdBy, .updatedBy, .applySet}) AS blueprints
