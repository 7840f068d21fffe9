// Retention: removes events older than the cutoff, a batch at a time.
MATCH (a:_AuditEvent) WHERE a.at < $cutoff
WITH a LIMIT 10000
DELETE a
RETURN count(*) AS deleted
