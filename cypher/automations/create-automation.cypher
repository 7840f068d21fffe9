// Stores a new automation; `created` is false (nothing written) when the identifier is taken.
// The MERGE on the unique identifier makes two concurrent creations meet on one node.
MERGE (a:_Automation {identifier: $props.identifier})
  ON CREATE SET a += $props, a._new = true
WITH a, coalesce(a._new, false) AS created
REMOVE a._new
RETURN created, a {.*} AS automation
