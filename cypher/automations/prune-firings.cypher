// Retention (with the audit trail's): removes finished firings recorded before the cutoff, a batch
// at a time. Pending and running ones stay whatever their age. Their events are past the
// consumer's cursor, so a pruned firing cannot fire again.
MATCH (f:_AutomationFiring)
WHERE f.state IN ['done', 'failed', 'cut', 'skipped', 'interrupted'] AND f.createdAt < $cutoff
WITH f LIMIT 10000
DELETE f
RETURN count(*) AS deleted
