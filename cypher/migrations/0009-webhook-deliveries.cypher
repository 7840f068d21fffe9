// Webhook deliveries already applied (per source: a GitHub delivery id, a signature, a nonce),
// remembered for a day so a replay is refused on every replica and across restarts.
CREATE CONSTRAINT plexus_webhook_delivery_key IF NOT EXISTS FOR (d:_WebhookDelivery) REQUIRE d.key IS UNIQUE;
CREATE INDEX plexus_webhook_delivery_expires IF NOT EXISTS FOR (d:_WebhookDelivery) ON (d.expiresAt);
