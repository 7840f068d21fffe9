import type { MiddlewareHandler } from 'hono';
import { TooManyRequestsError } from '../errors.ts';
import type { AppEnv } from '../http.ts';

/**
 * Requests in flight per caller, in memory (per replica). Heavy reads — GraphQL, search, impact,
 * paths, saved queries — each hold a database session for as long as they run; without a cap one
 * caller's parallel requests take the whole driver pool and everyone else's writes fail.
 */
export interface ConcurrencyLimiter {
  /** Takes a slot for `key`; null when it already holds `max`. Call the returned release once. */
  enter(key: string): (() => void) | null;
  /** Slots `key` holds now (tests, metrics). */
  inFlight(key: string): number;
}

/** Creates a limiter; `max` 0 lets everything through. */
export function createConcurrencyLimiter(max: number): ConcurrencyLimiter {
  const held = new Map<string, number>();
  return {
    enter(key) {
      if (max <= 0) return () => {};
      const n = held.get(key) ?? 0;
      if (n >= max) return null;
      held.set(key, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(key) ?? 1) - 1;
        if (left <= 0) held.delete(key);
        else held.set(key, left);
      };
    },
    inFlight: (key) => held.get(key) ?? 0,
  };
}

/**
 * Middleware answering 429 with Retry-After when the authenticated caller already has `max`
 * requests of this kind running; the slot is held until the handler has produced its response.
 * Mount after `authenticate`.
 */
export function limitConcurrency(limiter: ConcurrencyLimiter, max: number): MiddlewareHandler<AppEnv> {
  // Overlapping mount paths (`/search` and `/search/*`) must not take two slots for one request.
  const counted = new WeakSet<Request>();
  return async (c, next) => {
    if (counted.has(c.req.raw)) return next();
    counted.add(c.req.raw);
    const p = c.get('principal');
    const key = p ? `${p.kind}:${p.id}` : 'anonymous';
    const release = limiter.enter(key);
    if (!release) {
      throw new TooManyRequestsError(
        `more than ${max} GraphQL, search or impact requests of yours are running at once (PLEXUS_GRAPHQL_MAX_CONCURRENT); wait for one to finish`,
        1,
      );
    }
    try {
      await next();
    } finally {
      release();
    }
  };
}
