// Before/after snapshots (JSON) of the audit events that matched a trigger.
MATCH (a:_AuditEvent) WHERE a.seq IN $seqs
RETURN a.seq AS seq, a.before AS before, a.after AS after
