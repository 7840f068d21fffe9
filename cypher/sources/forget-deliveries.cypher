// Forgets the keys of a delivery that could not be applied, so the sender's retry is accepted.
MATCH (d:_WebhookDelivery)
WHERE d.key IN $keys
DELETE d
