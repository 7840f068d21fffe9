// Run after the audit record of a creation (or enabling) in the same transaction: the audit
// sequence's value is this transaction's own last event (its lock is held), so the automation
// sees exactly the events committed after it was saved.
MATCH (s:_Sequence {name: 'audit'})
MATCH (a:_Automation {identifier: $identifier})
SET a.sinceSeq = s.value, a.sinceAt = $at
RETURN a.sinceSeq AS sinceSeq
