UNWIND $items AS item
MERGE (i:_SourceItem {id: $source + '|' + item.key})
SET i.source = $source,
    i.key = item.key,
    i.blueprint = item.blueprint,
    i.identifier = item.identifier,
    i.hash = item.hash,
    i.properties = item.properties,
    i.relations = item.relations,
    i.runId = $runId
RETURN count(i) AS saved
