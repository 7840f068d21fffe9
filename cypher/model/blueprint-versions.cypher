// When each named blueprint was last saved: its stamp (model/saved-stamp.cypher; null: it does
// not exist). Sent by a catalog write just before its commit: its records were checked against
// these blueprints, and a change of any of them since rolls the write back.
UNWIND $identifiers AS identifier
OPTIONAL MATCH (b:_Blueprint {identifier: identifier})
RETURN identifier, CASE WHEN b IS NULL THEN null ELSE $$include(model/saved-stamp)$$ END AS saved
