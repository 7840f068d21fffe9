import type { Context, MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../errors.ts';
import type { AppEnv } from '../http.ts';
import type { Logger } from '../log.ts';
import { looksLikeJwt, type OidcVerifier } from './oidc.ts';
import type { RateLimiter } from './rate-limit.ts';
import { fingerprint, type TokenStore } from './tokens.ts';

/**
 * The address of the client: the TCP peer (from @hono/node-server's incoming socket), or — only
 * when `trustProxy` is set, because any client can write the header — the first address of
 * `X-Forwarded-For` (the client as the proxy saw it). `local` for in-process requests (tests).
 */
export function clientAddress(c: Context, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket;
  return socket?.remoteAddress ?? 'local';
}

function tooMany(c: Context, retryAfterSeconds: number, message: string) {
  c.header('retry-after', String(retryAfterSeconds));
  return c.json({ error: { code: 'rate_limited', message: `${message}; retry after ${retryAfterSeconds} s`, details: [] } }, 429);
}

/**
 * Requires a valid bearer token (an API token, or a JWT when OIDC is configured), puts the
 * caller on the context as `principal`, then applies the caller's rate limit (429 with
 * Retry-After). Failures are logged with a fingerprint of the token, never the token.
 *
 * Failed authentications are throttled per client address (`failures`, a token bucket taken
 * once per credential that does not verify): once an address has used its failures, every
 * request from it with a credential is answered 429 with Retry-After before the credential is
 * even looked at, so guessing costs neither a database query nor a useful answer.
 */
export function authenticate(deps: {
  tokens: TokenStore;
  oidc?: OidcVerifier | null;
  limiter?: RateLimiter;
  failures?: RateLimiter;
  trustProxy?: boolean;
  logger?: Logger;
}): MiddlewareHandler<AppEnv> {
  const { tokens, oidc, limiter, failures, logger } = deps;
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthorizedError();
    const token = m[1];
    const address = `addr:${clientAddress(c, deps.trustProxy)}`;
    const blocked = failures?.peek(address);
    if (blocked && !blocked.ok) return tooMany(c, blocked.retryAfterSeconds, 'too many failed authentications from this address');
    const jwt = Boolean(oidc) && looksLikeJwt(token);
    const principal = jwt ? await oidc!.verify(token) : await tokens.verify(token);
    if (!principal) {
      failures?.take(address);
      logger?.warn('authentication failed', { method: c.req.method, path: c.req.path, credential: jwt ? 'jwt' : 'api token', fingerprint: fingerprint(token), address });
      throw new UnauthorizedError('the bearer token is not valid or has expired');
    }
    if (limiter) {
      const verdict = limiter.take(principal.tokenId ? `token:${principal.tokenId}` : `${principal.kind}:${principal.id}`);
      if (!verdict.ok) return tooMany(c, verdict.retryAfterSeconds, 'too many requests with this credential');
    }
    c.set('principal', principal);
    await next();
  };
}
