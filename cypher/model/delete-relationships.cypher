MATCH (n:$$Label$$)-[r:$$Type$$]->(t:Entity)
WHERE $keepTargets IS NULL OR NOT t._blueprint IN $keepTargets
WITH n, r LIMIT 10000
DELETE r
SET n._hash = null
RETURN count(r) AS deleted
