// All blueprints with the model version they belong to, each with when it was last saved:
// `<model version>@<updatedAt>`, as blueprint-versions.cypher reads it.
OPTIONAL MATCH (v:_ModelVersion {id: 'model'})
WITH coalesce(v.version, 0) AS version
OPTIONAL MATCH (b:_Blueprint)
RETURN version, collect(b {.identifier, saved: toString(coalesce(b.version, 0)) + '@' + coalesce(b.updatedAt, ''), .definition, .createdAt, .updatedAt, .createdBy, .updatedBy, .applySet}) AS blueprints
