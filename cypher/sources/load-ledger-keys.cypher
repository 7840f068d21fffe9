UNWIND $keys AS key
MATCH (i:_SourceItem {id: $source + '|' + key})
RETURN i.blueprint AS blueprint, i.identifier AS identifier, i.hash AS hash, i.properties AS properties, i.relations AS relations
