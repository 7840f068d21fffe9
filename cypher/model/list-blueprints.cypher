// All blueprints with the model version they belong to, each with when it was last saved:
// its stamp (model/saved-stamp.cypher).
OPTIONAL MATCH (v:_ModelVersion {id: 'model'})
WITH coalesce(v.version, 0) AS version
OPTIONAL MATCH (b:_Blueprint)
RETURN version, collect(b {.identifier, saved: $$include(model/saved-stamp)$$, .definition, .createdAt, .updatedAt, .createdBy, .updatedBy, .applySet}) AS blueprints
