// Relationships of one relation, optionally only those to targets outside $keepTargets.
MATCH (n:$$label$$)-[r:$$type$$]->(t:Entity)
WHERE $keepTargets IS NULL OR NOT t._blueprint IN $keepTargets
RETURN count(r) AS count
