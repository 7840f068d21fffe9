// Which of the entities a write names exist, with their stored content hash, all blueprints at
// once (one query per batch). Light on purpose: a bulk load of new entities and a resync of
// unchanged ones need nothing more; read-before.cypher then reads the full state of the few
// entities whose content differs. One query text (Entity index + _blueprint filter), planned once.
UNWIND $rows AS row
OPTIONAL MATCH (n:Entity {identifier: row.identifier}) WHERE n._blueprint = row.blueprint
RETURN row.blueprint AS blueprint, row.identifier AS identifier, n IS NOT NULL AS exists, n._hash AS hash
