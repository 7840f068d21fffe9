import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../errors.ts';
import type { AppEnv } from '../http.ts';
import type { TokenStore } from './tokens.ts';

/** Requires a valid bearer token and puts the caller on the context as `principal`. */
export function requireToken(tokens: TokenStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new UnauthorizedError();
    const principal = await tokens.verify(m[1]);
    if (!principal) throw new UnauthorizedError('the bearer token is not valid or has expired');
    c.set('principal', principal);
    await next();
  };
}
