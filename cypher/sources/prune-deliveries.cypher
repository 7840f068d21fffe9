// Drops remembered webhook deliveries past their day (the index on expiresAt finds them).
MATCH (d:_WebhookDelivery)
WHERE d.expiresAt <= $now
WITH d LIMIT 10000
DELETE d
RETURN count(*) AS pruned
