// Records the keys of a webhook delivery; the uniqueness constraint on key makes a second
// delivery with a live key fail (a replay). An expired record of the same key is replaced.
UNWIND $keys AS key
OPTIONAL MATCH (old:_WebhookDelivery {key: key})
WHERE old.expiresAt <= $now
DELETE old
WITH key
CREATE (d:_WebhookDelivery {key: key, source: $source, at: $now, expiresAt: $expiresAt})
RETURN count(d) AS remembered
