// The changed entities a re-evaluation walks from, and which of them the scorecard scores.
UNWIND $seeds AS seed
MATCH (x:Entity {identifier: seed.identifier})
WHERE seed.blueprint IS NULL OR x._blueprint = seed.blueprint
RETURN elementId(x) AS id, x.identifier AS identifier, x:$$label$$ AS target
