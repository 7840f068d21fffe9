// Replaces an automation's definition (every field given, null removes one); its status
// (lastFiredAt, lastError, sinceSeq) stays.
MATCH (a:_Automation {identifier: $identifier})
SET a += $props
RETURN a {.*} AS automation
