// A source's ledger: what it contributed to each entity. Streams; one row per entity.
MATCH (i:_SourceItem {source: $source})
RETURN i.blueprint AS blueprint, i.identifier AS identifier, i.hash AS hash, i.properties AS properties, i.relations AS relations
