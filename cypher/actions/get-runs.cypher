UNWIND $ids AS id
MATCH (r:_Run {id: id})
RETURN r {.*} AS run
