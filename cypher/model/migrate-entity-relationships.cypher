// A forced migration's relationship changes for one relation: the relationships of the given
// entities to targets outside $keepTargets (all of them when null) are deleted.
UNWIND $identifiers AS id
MATCH (n:Entity {_blueprint: $blueprint, identifier: id})-[r:$$type$$]->(t:Entity)
WHERE $keepTargets IS NULL OR NOT t._blueprint IN $keepTargets
DELETE r
RETURN count(r) AS deleted
