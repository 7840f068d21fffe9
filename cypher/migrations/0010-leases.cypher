// Leases (db/lease.ts): one node per scheduled job, so a MERGE from two replicas at once
// finds or creates the same node instead of two.
CREATE CONSTRAINT plexus_lease_name IF NOT EXISTS FOR (l:_Lease) REQUIRE l.name IS UNIQUE;
