/**
 * Signature checks shared by the webhook processors: HMAC over the raw body, compared in
 * constant time. GitHub sends `X-Hub-Signature-256: sha256=<hex>`, PagerDuty
 * `X-PagerDuty-Signature: v1=<hex>,v1=<hex>` (several during secret rotation); a generic source
 * chooses its header, algorithm and prefix.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookHeaders } from './contract.ts';

/** HMAC algorithms a signed source may use. */
export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** Hex HMAC of `payload`. */
export function hmacHex(algorithm: HmacAlgorithm, secret: string, payload: string): string {
  return createHmac(algorithm, secret).update(payload, 'utf8').digest('hex');
}

/** Constant-time comparison of two strings (false when lengths differ). */
export function safeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * True when `header` (one or more comma-separated signatures, each optionally `prefix`ed) holds
 * the HMAC of `rawBody` under `secret`. Accepts hex in any case and base64.
 * @example verifyHmacSignature({ header: headers['x-hub-signature-256'], secret, algorithm: 'sha256', prefix: 'sha256=', rawBody })
 */
export function verifyHmacSignature(options: {
  header: string | undefined;
  secret: string;
  algorithm: HmacAlgorithm;
  prefix?: string;
  rawBody: string;
}): boolean {
  const { header, secret, algorithm, prefix = '', rawBody } = options;
  if (!header || !secret) return false;
  const mac = createHmac(algorithm, secret).update(rawBody, 'utf8').digest();
  const hex = mac.toString('hex');
  const b64 = mac.toString('base64');
  let ok = false;
  for (const part of header.split(',')) {
    const sig = part.trim();
    if (prefix && !sig.startsWith(prefix)) continue;
    const value = sig.slice(prefix.length);
    // No early exit: every candidate is compared so timing does not reveal which one matched.
    if (safeEqualText(value.toLowerCase(), hex) || safeEqualText(value, b64)) ok = true;
  }
  return ok;
}

/** Lower-cases header names (the contract's `WebhookHeaders`). */
export function normaliseHeaders(headers: Headers | Record<string, string | undefined>): WebhookHeaders {
  const out: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((v, k) => {
      out[k.toLowerCase()] = v;
    });
  } else for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/** How far a signed timestamp may be from this server's clock, in seconds (either way). */
export const defaultToleranceSeconds = 300;

/**
 * The Plexus signature of a delivery: `v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, sent in
 * `x-plexus-signature` beside `x-plexus-timestamp: <unix seconds>`. Signing the timestamp with the
 * body is what lets a receiver refuse an old delivery replayed later.
 * @example headers['x-plexus-signature'] = signTimestamped(secret, Math.floor(Date.now() / 1000), raw)
 */
export function signTimestamped(secret: string, timestamp: number | string, rawBody: string, algorithm: HmacAlgorithm = 'sha256', prefix = 'v1='): string {
  return `${prefix}${hmacHex(algorithm, secret, `${timestamp}.${rawBody}`)}`;
}

/**
 * True when `signatureHeader` holds the HMAC of `"<timestamp>.<raw body>"` under `secret` and the
 * timestamp (unix seconds) is within `toleranceSeconds` of `now`. Several comma-separated
 * signatures may be sent (secret rotation).
 */
export function verifyTimestampedSignature(options: {
  signature: string | undefined;
  timestamp: string | undefined;
  secret: string;
  algorithm?: HmacAlgorithm;
  prefix?: string;
  rawBody: string;
  toleranceSeconds?: number;
  now?: number;
}): boolean {
  const { signature, timestamp, secret, rawBody } = options;
  if (!signature || !timestamp || !secret || !/^\d{1,12}$/.test(timestamp.trim())) return false;
  const ts = Number(timestamp.trim());
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? defaultToleranceSeconds)) return false;
  return verifyHmacSignature({
    header: signature,
    secret,
    algorithm: options.algorithm ?? 'sha256',
    prefix: options.prefix ?? 'v1=',
    rawBody: `${timestamp.trim()}.${rawBody}`,
  });
}
