import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson } from '../http.ts';
import { createRouter, operation, z } from '../openapi.ts';
import type { AggregateRequest } from './aggregate.ts';
import type { SearchRequest } from './rules.ts';
import type { SearchService } from './search.ts';

/** A full-text hit of `GET /search`. */
export const searchHitSchema = z
  .object({ identifier: z.string(), blueprint: z.string(), title: z.string().nullable(), score: z.number() })
  .openapi('SearchHit');

/** The body of `POST /search` (API.md "Search and impact"); the search compiler checks the rules. */
const searchRequestSchema = z
  .object({
    blueprint: z.string().optional(),
    combinator: z.enum(['and', 'or']).optional(),
    rules: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: 'Property, relation or nested group rules' }),
    limit: z.number().int().optional(),
    cursor: z.string().optional(),
  })
  .openapi('SearchRequest');

/** The body of `POST /search/aggregate`. */
const aggregateRequestSchema = z
  .object({
    blueprint: z.string().optional(),
    combinator: z.enum(['and', 'or']).optional(),
    rules: z.array(z.record(z.string(), z.unknown())).optional(),
    impact: z
      .object({
        blueprint: z.string(),
        identifier: z.string(),
        direction: z.enum(['upstream', 'downstream', 'both']).optional(),
        depth: z.number().int().optional(),
        relations: z.array(z.string()).optional(),
      })
      .optional(),
    groupBy: z.string().openapi({ description: 'blueprint, property:<name> or relation:<name>' }),
    metrics: z.array(z.string()).optional(),
    sort: z.string().optional(),
    limit: z.number().int().optional(),
  })
  .openapi('AggregateRequest');

/** `GET /search?q=` (full text) and `POST /search` (rules), `POST /search/aggregate` (groups and metrics). Reads; any role, over what the caller may read. */
export function searchRoutes(deps: { search: SearchService; access: AccessControl; jsonLimit: number }): OpenAPIHono<AppEnv> {
  const { search, access, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('SearchRequest', searchRequestSchema);
  r.openAPIRegistry.register('AggregateRequest', aggregateRequestSchema);
  r.openapi(
    operation('get', '/search', {
      summary: 'Full-text search',
      tag: 'Search',
      query: { q: 'The text to find', blueprint: 'Only this blueprint', limit: 'How many hits' },
      responses: { 200: { description: 'Ranked hits', schema: z.object({ entities: z.array(searchHitSchema) }) } },
    }),
    async (c) => {
      const limit = c.req.query('limit');
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new BadRequestError('limit must be an integer');
      const scope = access.scope(c.get('principal'));
      const answer: { entities: z.infer<typeof searchHitSchema>[] } = await search.text(c.req.query('q') ?? '', { scope, blueprint: c.req.query('blueprint') || undefined, limit: limit ? Number(limit) : undefined });
      return c.json(answer);
    },
  );
  r.openapi(
    operation('post', '/search/aggregate', {
      summary: 'Group a search or a blast radius by blueprint, property or related entity, with count/sum/min/max/avg',
      tag: 'Search',
      body: 'AggregateRequest',
      responses: { 200: 'The groups', 400: 'Unknown property, relation, metric or sort' },
    }),
    async (c) => {
      const request = (await readJson(c, jsonLimit)) as AggregateRequest;
      return c.json(await search.aggregate(request, { scope: access.scope(c.get('principal')) }));
    },
  );
  r.openapi(operation('post', '/search', { summary: 'Structured search (rules)', tag: 'Search', body: 'SearchRequest' }), async (c) => {
    const request = (await readJson(c, jsonLimit)) as SearchRequest;
    return c.json(await search.structured(request, { scope: access.scope(c.get('principal')) }));
  });
  return r;
}
