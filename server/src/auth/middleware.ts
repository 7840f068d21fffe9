import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../errors.ts';
import type { AppEnv } from '../http.ts';
import type { Logger } from '../log.ts';
import { looksLikeJwt, type OidcVerifier } from './oidc.ts';
import type { RateLimiter } from './rate-limit.ts';
import { fingerprint, type TokenStore } from './tokens.ts';

/**
 * Requires a valid bearer token (an API token, or a JWT when OIDC is configured), puts the
 * caller on the context as `principal`, then applies the caller's rate limit (429 with
 * Retry-After). Failures are logged with a fingerprint of the token, never the token.
 */
export function authenticate(deps: { tokens: TokenStore; oidc?: OidcVerifier | null; limiter?: RateLimiter; logger?: Logger }): MiddlewareHandler<AppEnv> {
  const { tokens, oidc, limiter, logger } = deps;
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthorizedError();
    const token = m[1];
    const jwt = Boolean(oidc) && looksLikeJwt(token);
    const principal = jwt ? await oidc!.verify(token) : await tokens.verify(token);
    if (!principal) {
      logger?.warn('authentication failed', { method: c.req.method, path: c.req.path, credential: jwt ? 'jwt' : 'api token', fingerprint: fingerprint(token) });
      throw new UnauthorizedError('the bearer token is not valid or has expired');
    }
    if (limiter) {
      const verdict = limiter.take(principal.tokenId ? `token:${principal.tokenId}` : `${principal.kind}:${principal.id}`);
      if (!verdict.ok) {
        c.header('retry-after', String(verdict.retryAfterSeconds));
        return c.json(
          { error: { code: 'rate_limited', message: `too many requests with this credential; retry after ${verdict.retryAfterSeconds} s`, details: [] } },
          429,
        );
      }
    }
    c.set('principal', principal);
    await next();
  };
}
