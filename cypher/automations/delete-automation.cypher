// Removes an automation; its firings stay as history (pending ones are skipped).
MATCH (a:_Automation {identifier: $identifier})
DETACH DELETE a
RETURN count(*) AS deleted
