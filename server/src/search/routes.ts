import { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson } from '../http.ts';
import type { AggregateRequest } from './aggregate.ts';
import type { SearchRequest } from './rules.ts';
import type { SearchService } from './search.ts';

/** `GET /search?q=` (full text) and `POST /search` (rules), `POST /search/aggregate` (groups and metrics). Reads; any role, over what the caller may read. */
export function searchRoutes(deps: { search: SearchService; access: AccessControl; jsonLimit: number }): Hono<AppEnv> {
  const { search, access, jsonLimit } = deps;
  const r = new Hono<AppEnv>();
  r.get('/search', async (c) => {
    const limit = c.req.query('limit');
    if (limit !== undefined && !/^\d+$/.test(limit)) throw new BadRequestError('limit must be an integer');
    const scope = access.scope(c.get('principal'));
    return c.json(await search.text(c.req.query('q') ?? '', { scope, blueprint: c.req.query('blueprint') || undefined, limit: limit ? Number(limit) : undefined }));
  });
  r.post('/search/aggregate', async (c) => {
    const request = (await readJson(c, jsonLimit)) as AggregateRequest;
    return c.json(await search.aggregate(request, { scope: access.scope(c.get('principal')) }));
  });
  r.post('/search', async (c) => {
    const request = (await readJson(c, jsonLimit)) as SearchRequest;
    return c.json(await search.structured(request, { scope: access.scope(c.get('principal')) }));
  });
  return r;
}
