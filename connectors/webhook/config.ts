import { defineConfig, field, z } from '@plexus/connector-sdk';

/**
 * Config of a generic signed `webhook` source: the HMAC secret and how the sender signs. The
 * signature is the HMAC of `"<timestamp>.<raw body>"` (`x-plexus-signature: v1=<hex>` beside
 * `x-plexus-timestamp: <unix seconds>` by default); a delivery older or newer than
 * `toleranceSeconds` is refused, and so is one whose signature or delivery id was seen before.
 */
export const webhookConfig = defineConfig({
  secret: field.secret(),
  signatureHeader: field.string().default('x-plexus-signature'),
  algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
  prefix: field.string().default('v1='),
  /** Header holding the signed unix timestamp (seconds). */
  timestampHeader: field.string().default('x-plexus-timestamp'),
  /** Header holding the sender's id of the delivery (a nonce), remembered to refuse re-deliveries. */
  deliveryHeader: field.string().default('x-plexus-delivery'),
  toleranceSeconds: field.number({ min: 1, max: 86_400, integer: true }).default(300),
  /** The record kind deliveries get (the mapping selects on it). */
  kind: field.string().default('event'),
  /** Dotted path to a list of items when one delivery carries several. */
  items: field.string().optional(),
  /** JSONata over an item: when true, the item's entity is removed instead of upserted. */
  deleteWhen: field.string().optional(),
});

/** The parsed config. */
export type WebhookConfig = ReturnType<typeof webhookConfig.parse>;
