// Written in the same transaction as the change it describes: nothing committed goes unaudited.
UNWIND $events AS e
CREATE (a:_AuditEvent)
SET a = e
RETURN count(a) AS recorded
