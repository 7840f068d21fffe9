// Which of the given entities (r = {blueprint, identifier}) exist and are readable.
UNWIND $refs AS r
MATCH (n:Entity {identifier: r.identifier}) WHERE n._blueprint = r.blueprint AND $$visibleN$$
RETURN r.blueprint AS blueprint, r.identifier AS identifier
