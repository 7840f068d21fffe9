// What other sources contributed to the given entities (their parts must be kept).
UNWIND $keys AS key
MATCH (i:_SourceItem {key: key}) WHERE i.source <> $source
RETURN i.key AS key, i.source AS source, i.properties AS properties, i.relations AS relations
