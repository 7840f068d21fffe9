// One uniqueness constraint for every entity, on (blueprint, identifier), created once. Until
// 0015 each blueprint created its own `(:<Label>) REQUIRE identifier IS UNIQUE` when it was
// saved. That was a schema change at every new blueprint, and any schema change clears Neo4j's
// query plan cache: every query in flight was planned again, under load (docs/reliability.md).
// Entity writes MERGE on (:Entity {_blueprint, identifier}), which this constraint locks.
// Constraints that earlier releases made per blueprint stay until their blueprint is deleted.
CREATE CONSTRAINT plexus_entity_identity IF NOT EXISTS FOR (n:Entity) REQUIRE (n._blueprint, n.identifier) IS UNIQUE;
