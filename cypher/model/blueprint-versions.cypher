// When each named blueprint was last saved: `<model version>@<updatedAt>` (version 0: saved
// before versions were recorded, or by an older release, whose saves still change updatedAt;
// null: it does not exist). Sent by a catalog write just before its commit: its records were
// checked against these blueprints, and a change of any of them since rolls the write back.
// The same expression as in list-blueprints.cypher.
UNWIND $identifiers AS identifier
OPTIONAL MATCH (b:_Blueprint {identifier: identifier})
RETURN identifier, CASE WHEN b IS NULL THEN null ELSE toString(coalesce(b.version, 0)) + '@' + coalesce(b.updatedAt, '') END AS saved
