MATCH (s:_Source {identifier: $identifier}) WHERE s.runId = $runId
SET s.runId = null, s.leaseUntil = null
RETURN count(s) AS released
