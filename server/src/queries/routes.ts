import type { OpenAPIHono } from '@hono/zod-openapi';
import { defaultGraphqlLimits, type GraphqlLimits } from '../graphql/limits.ts';
import { graphqlContext } from '../graphql/routes.ts';
import type { SchemaService } from '../graphql/schema-service.ts';
import { BadRequestError, ForbiddenError } from '../errors.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../http.ts';
import { createRouter, operation, z } from '../openapi.ts';
import type { SavedQueries } from './saved-queries.ts';

/** The body of `POST /queries` and `PUT /queries/{query}`; saved-queries.ts checks it (read-only Cypher, valid GraphQL). */
const savedQueryInputSchema = z
  .object({
    identifier: z.string().optional().openapi({ description: 'Taken from the URL on PUT' }),
    title: z.string().optional(),
    description: z.string().nullable().optional(),
    language: z.enum(['cypher', 'graphql']),
    query: z.string(),
    allowUnknown: z.boolean().optional().openapi({ description: 'Cypher only: accept names the model does not have (yet)' }),
  })
  .catchall(z.unknown())
  .openapi('SavedQueryInput');

/** The body of `POST /queries/{query}/run`. */
const runQuerySchema = z.object({ params: z.record(z.string(), z.unknown()).optional() }).openapi('RunQuery');


/**
 * `/api/v1/queries`: saved queries. Cypher ones read the graph directly, outside the per-blueprint
 * read rules, so only admins save them; GraphQL ones run with the caller's own GraphQL context.
 * The store audits each change in its transaction.
 */
export function queryRoutes(deps: { queries: SavedQueries; schemas: SchemaService; jsonLimit: number; database?: string; limits?: GraphqlLimits }): OpenAPIHono<AppEnv> {
  const { queries, schemas, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('SavedQueryInput', savedQueryInputSchema);
  r.openAPIRegistry.register('RunQuery', runQuerySchema);
  const tag = 'Search';
  const roleToSave = (body: unknown) => ((body as { language?: string })?.language === 'graphql' ? 'member' : 'admin');
  r.openapi(operation('get', '/queries', { summary: 'List saved queries', tag }), async (c) => c.json({ queries: await queries.list() }));
  r.openapi(operation('get', '/queries/{query}', { summary: 'Read a saved query', tag }), async (c) => c.json(await queries.get(c.req.param('query'))));
  r.openapi(operation('post', '/queries', { summary: 'Save a named Cypher (admin, read-only checked) or GraphQL query', tag, body: 'SavedQueryInput', responses: { 201: 'Created', 409: 'Exists', 422: 'Invalid query' } }), async (c) => {
    requireRole(c, 'member', 'saving a query');
    const body = await readJson(c, jsonLimit);
    requireRole(c, roleToSave(body), 'saving this query');
    const saved = await queries.save(body, { ctx: writeContext(c), mode: 'create', checkGraphql: (query) => schemas.validate(query) });
    return c.json(saved, 201);
  });
  r.openapi(operation('put', '/queries/{query}', { summary: 'Replace a saved query', tag, body: 'SavedQueryInput', responses: { 200: 'Saved', 422: 'Invalid query' } }), async (c) => {
    requireRole(c, 'member', 'saving a query');
    const body = await readJson(c, jsonLimit);
    requireRole(c, roleToSave(body), 'saving this query');
    const id = c.req.param('query');
    const saved = await queries.save(body, { ctx: writeContext(c), mode: 'replace', identifier: id, checkGraphql: (query) => schemas.validate(query) });
    return c.json(saved);
  });
  r.openapi(operation('delete', '/queries/{query}', { summary: 'Delete a saved query', tag, responses: { 204: 'Deleted' } }), async (c) => {
    requireRole(c, 'admin', 'deleting saved queries');
    await queries.delete(c.req.param('query'), writeContext(c));
    return c.body(null, 204);
  });
  r.openapi(operation('post', '/queries/{query}/run', { summary: 'Run a saved query with parameters', tag, body: 'RunQuery', optionalBody: true }), async (c) => {
    const q = await queries.get(c.req.param('query'));
    // Saved Cypher reads the graph directly, outside the per-blueprint read rules: refused before the body is read.
    if (q.language === 'cypher' && !c.get('access').scope(c.get('principal')).unrestricted) {
      throw new ForbiddenError('this saved query is Cypher, which reads the whole graph; running it needs read access to every blueprint (GraphQL saved queries apply your permissions)');
    }
    const body = await readJson(c, jsonLimit, { optional: true });
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new BadRequestError('the body must be {"params"?: {...}}');
    const args = (body ?? {}) as { params?: Record<string, unknown> };
    if (q.language === 'cypher') {
      return c.json(await queries.runCypher(q, args.params ?? {}));
    }
    const limits = deps.limits ?? defaultGraphqlLimits;
    // The same limits as POST /graphql: a saved query is no way around them.
    const [refused] = await schemas.checkLimits(q.query, args.params ?? {});
    if (refused) throw new BadRequestError(refused);
    // GraphQL saved queries run in a GraphQL worker with the caller's own context.
    return c.json(await schemas.execute(q.query, args.params ?? {}, graphqlContext(c, deps.database, limits.timeoutMs)));
  });
  return r;
}
