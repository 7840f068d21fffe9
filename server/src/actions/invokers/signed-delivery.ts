import { type EgressPolicy, signTimestamped } from '@plexus/connector-sdk';

/** One outbound signed HTTP delivery: what the webhook invoker and automation webhooks send. */
export interface SignedDelivery {
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  /** Extra headers (content-type and the signature headers are set here). */
  headers?: Record<string, string>;
  /** The raw body, signed as is. */
  body: string;
  /** HMAC key; without it the delivery is sent unsigned. */
  secret?: string;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Further attempts after a 5xx or a network error (never after a 4xx). Default 2. */
  retries?: number;
  /** First backoff; doubled per attempt. Default 500 ms. */
  backoffMs?: number;
  signal?: AbortSignal;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status of the last attempt; 0 when no answer came (network error, refused by the egress policy, timeout). */
  status: number;
  attempts: number;
  /** Why it failed, for the run's log: never contains the secret or the body. */
  reason?: string;
  /** The answer's body, first 4 KiB (engines put ids and links there). */
  responseText?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Sends `body` with `x-plexus-timestamp` and `x-plexus-signature: v1=<hex HMAC-SHA256 of
 * "<timestamp>.<raw body>">` through the egress policy, retrying 5xx and network errors with
 * exponential backoff (each attempt signed afresh: a retry is not a replay of an old timestamp).
 * Egress refusals and 4xx answers are final.
 */
export async function deliverSigned(egress: EgressPolicy, d: SignedDelivery): Promise<DeliveryResult> {
  const retries = d.retries ?? 2;
  let backoff = d.backoffMs ?? 500;
  let last: DeliveryResult = { ok: false, status: 0, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (d.signal?.aborted) return { ...last, attempts: attempt - 1, reason: 'cancelled' };
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...d.headers };
    if (d.secret) {
      headers['x-plexus-timestamp'] = String(timestamp);
      headers['x-plexus-signature'] = signTimestamped(d.secret, timestamp, d.body);
    }
    const timeout = AbortSignal.timeout(d.timeoutMs ?? 10_000);
    const signal = d.signal ? AbortSignal.any([d.signal, timeout]) : timeout;
    try {
      const res = await egress.fetch(d.url, {
        method: d.method ?? 'POST',
        headers,
        body: d.body,
        signal,
        secretHeaders: ['x-plexus-signature'],
      });
      const text = (await res.text().catch(() => '')).slice(0, 4096);
      last = { ok: res.ok, status: res.status, attempts: attempt, responseText: text };
      if (res.ok) return last;
      last.reason = `${d.method ?? 'POST'} ${new URL(d.url).origin} answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
      if (res.status < 500) return last;
    } catch (err) {
      const e = err as Error;
      const refused = e.name === 'EgressRefusedError';
      last = {
        ok: false,
        status: 0,
        attempts: attempt,
        reason: refused
          ? e.message
          : `${new URL(d.url).origin} could not be reached: ${e.name === 'TimeoutError' ? `no answer within ${d.timeoutMs ?? 10_000} ms` : e.message}`,
      };
      if (refused || d.signal?.aborted) return last;
    }
    if (attempt <= retries) {
      await sleep(backoff, d.signal);
      backoff *= 2;
    }
  }
  return last;
}
