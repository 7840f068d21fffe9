import { defineConfig, field } from '../sdk/config-schema.ts';

/**
 * Config of a generic signed `webhook` source: the HMAC secret, the header that carries the
 * signature, the algorithm and an optional prefix (`sha256=` for GitHub-style senders).
 */
export const webhookConfig = defineConfig({
  secret: field.secret(),
  signatureHeader: field.string().default('x-plexus-signature'),
  algorithm: field.enum(['sha1', 'sha256', 'sha512'] as const).default('sha256'),
  prefix: field.string().optional(),
  /** The record kind deliveries get (the mapping selects on it). */
  kind: field.string().default('event'),
  /** Dotted path to a list of items when one delivery carries several. */
  items: field.string().optional(),
  /** JSONata over an item: when true, the item's entity is removed instead of upserted. */
  deleteWhen: field.string().optional(),
});

/** The parsed config. */
export type WebhookConfig = ReturnType<typeof webhookConfig.parse>;
