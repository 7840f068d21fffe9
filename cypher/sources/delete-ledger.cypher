UNWIND $keys AS key
MATCH (i:_SourceItem {id: $source + '|' + key})
DELETE i
RETURN count(i) AS deleted
