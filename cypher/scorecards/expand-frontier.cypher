// One step of the walk from changed entities back towards the entities a scorecard scores:
// neighbours over $out relationship types (along the arrow) and $in types (against it).
UNWIND $frontier AS id
MATCH (a) WHERE elementId(a) = id
CALL (a) {
  MATCH (a)-[r]->(b:Entity) WHERE type(r) IN $out RETURN b
  UNION
  MATCH (a)<-[r]-(b:Entity) WHERE type(r) IN $in RETURN b
}
RETURN DISTINCT elementId(b) AS id, b.identifier AS identifier, b:$$label$$ AS target
