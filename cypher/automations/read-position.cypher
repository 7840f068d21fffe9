// The consumer's cursor (created at 0 if missing) and the audit sequence's latest number. The
// sequence is read first: an automation enabled after this read only needs events after it.
OPTIONAL MATCH (s:_Sequence {name: 'audit'})
WITH coalesce(s.value, 0) AS top
MERGE (c:_AutomationCursor {name: $cursor})
  ON CREATE SET c.seq = 0
RETURN c.seq AS cursor, top
