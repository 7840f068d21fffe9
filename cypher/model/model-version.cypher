MATCH (v:_ModelVersion {id: 'model'}) RETURN v.version AS version
