// The next audit events after the cursor, in sequence order (the seq index gives the order),
// without their snapshots: most events match no trigger and need nothing more.
MATCH (a:_AuditEvent) WHERE a.seq > $after
RETURN a.seq AS seq, a.id AS id, a.type AS type, a.kind AS kind, a.subject AS subject,
       a.blueprint AS blueprint, a.identifier AS identifier, a.actor AS actor, a.origin AS origin,
       a.runId AS runId, a.at AS at
ORDER BY a.seq
LIMIT $limit
