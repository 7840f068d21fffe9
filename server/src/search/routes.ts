import { Hono } from 'hono';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson } from '../http.ts';
import type { SearchRequest } from './rules.ts';
import type { SearchService } from './search.ts';

/** `GET /search?q=` (full text) and `POST /search` (rules). Reads; any role. */
export function searchRoutes(search: SearchService, jsonLimit: number): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/search', async (c) => {
    const limit = c.req.query('limit');
    if (limit !== undefined && !/^\d+$/.test(limit)) throw new BadRequestError('limit must be an integer');
    return c.json(await search.text(c.req.query('q') ?? '', { blueprint: c.req.query('blueprint') || undefined, limit: limit ? Number(limit) : undefined }));
  });
  r.post('/search', async (c) => c.json(await search.structured((await readJson(c, jsonLimit)) as SearchRequest)));
  return r;
}
