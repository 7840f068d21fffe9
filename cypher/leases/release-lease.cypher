// Gives up the lease $name if $holder still holds it; the next replica takes it at its next check.
MATCH (l:_Lease {name: $name})
WHERE l.holder = $holder
SET l.holder = null, l.until = null
RETURN count(l) AS released
