// Entities of one blueprint holding relationships of one relation, optionally only those to
// targets outside $keepTargets: the candidates of a forced migration that drops them.
MATCH (n:$$label$$)-[r:$$type$$]->(t:Entity)
WHERE $keepTargets IS NULL OR NOT t._blueprint IN $keepTargets
RETURN DISTINCT n.identifier AS identifier
