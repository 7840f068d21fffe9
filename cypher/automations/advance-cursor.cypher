// Moves the cursor from $from to $to, only for the lease holder and only if nobody moved it
// meanwhile: no row back means this replica lost the lease (or the race) and writes nothing.
// Runs first in the transaction that records the page's firings, so both commit or neither.
MATCH (l:_Lease {name: $lease})
WHERE l.holder = $holder AND l.until >= timestamp()
MATCH (c:_AutomationCursor {name: $cursor})
WHERE c.seq = $from
SET c.seq = $to, c.advancedAt = timestamp()
RETURN c.seq AS cursor
