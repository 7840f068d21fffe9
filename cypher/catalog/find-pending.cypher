// Pending relations waiting for entities that were just created.
UNWIND $identifiers AS id
MATCH (s:Entity)-[:_PENDING_TO]->(pd:_Pending {targetBlueprint: $blueprint, targetIdentifier: id})
RETURN s._blueprint AS sourceBlueprint, s.identifier AS source, pd.type AS type, id AS target, pd._sources AS sources
