// Written in the same transaction as the change it describes: nothing committed goes unaudited.
// Every event takes the next number of the audit sequence (`seq`). Raising the counter takes its
// write lock, held until this transaction commits: audit events become visible in `seq` order,
// without gaps (a rolled-back transaction gives its numbers back), so a reader that walks `seq`
// (automations, server/src/actions/automations/) never skips an event that commits later.
// The writer sends this query last in its transaction, so the lock is held only until the commit.
MERGE (s:_Sequence {name: 'audit'})
  ON CREATE SET s.value = 0
SET s.value = s.value + size($events)
WITH s.value - size($events) AS base
UNWIND range(0, size($events) - 1) AS i
CREATE (a:_AuditEvent)
SET a = $events[i], a.seq = base + i + 1
RETURN count(a) AS recorded
