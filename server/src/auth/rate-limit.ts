/**
 * Token buckets per caller, in memory: each caller may send `burst` requests at once and
 * `perMinute` a minute sustained. Per replica; behind several replicas the effective limit is
 * the sum, which is fine for a guard against runaway scripts (not a quota).
 */
export interface RateLimiter {
  /** Takes one request from `key`'s bucket; when empty, says how long until one is back. */
  take(key: string): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };
  /** What `take` would answer, without taking anything. */
  peek(key: string): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };
}

/**
 * Creates a limiter; `perMinute` 0 lets everything through. `now` is injectable for tests.
 * @example const limiter = createRateLimiter({ perMinute: 600, burst: 100 }); limiter.take('token-id')
 */
export function createRateLimiter(options: { perMinute: number; burst: number; now?: () => number }): RateLimiter {
  const { perMinute, burst } = options;
  const now = options.now ?? (() => performance.now());
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const wait = (tokens: number) => ({ ok: false as const, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) });
  return {
    peek(key) {
      if (perMinute <= 0) return { ok: true, remaining: burst };
      const b = buckets.get(key);
      if (!b) return { ok: true, remaining: burst };
      const tokens = Math.min(burst, b.tokens + (now() - b.at) * perMs);
      return tokens >= 1 ? { ok: true, remaining: Math.floor(tokens) } : wait(tokens);
    },
    take(key) {
      if (perMinute <= 0) return { ok: true, remaining: burst };
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        // Forget callers whose buckets are full again, so the map does not grow without bound.
        if (buckets.size >= 50_000) for (const [k, v] of buckets) if (v.tokens + (t - v.at) * perMs >= burst) buckets.delete(k);
        b = { tokens: burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true, remaining: Math.floor(b.tokens) };
      }
      return wait(b.tokens);
    },
  };
}
