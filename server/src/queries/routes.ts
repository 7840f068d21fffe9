import { Hono } from 'hono';
import { defaultGraphqlLimits, type GraphqlLimits } from '../graphql/limits.ts';
import { graphqlContext } from '../graphql/routes.ts';
import type { SchemaService } from '../graphql/schema-service.ts';
import { BadRequestError, ForbiddenError } from '../errors.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../http.ts';
import type { SavedQueries } from './saved-queries.ts';


/**
 * `/api/v1/queries`: saved queries. Cypher ones read the graph directly, outside the per-blueprint
 * read rules, so only admins save them; GraphQL ones run with the caller's own GraphQL context.
 * The store audits each change in its transaction.
 */
export function queryRoutes(deps: { queries: SavedQueries; schemas: SchemaService; jsonLimit: number; database?: string; limits?: GraphqlLimits }): Hono<AppEnv> {
  const { queries, schemas, jsonLimit } = deps;
  const r = new Hono<AppEnv>();
  const roleToSave = (body: unknown) => ((body as { language?: string })?.language === 'graphql' ? 'member' : 'admin');
  r.get('/queries', async (c) => c.json({ queries: await queries.list() }));
  r.get('/queries/:query', async (c) => c.json(await queries.get(c.req.param('query'))));
  r.post('/queries', async (c) => {
    requireRole(c, 'member', 'saving a query');
    const body = await readJson(c, jsonLimit);
    requireRole(c, roleToSave(body), 'saving this query');
    const saved = await queries.save(body, { ctx: writeContext(c), mode: 'create', checkGraphql: (query) => schemas.validate(query) });
    return c.json(saved, 201);
  });
  r.put('/queries/:query', async (c) => {
    requireRole(c, 'member', 'saving a query');
    const body = await readJson(c, jsonLimit);
    requireRole(c, roleToSave(body), 'saving this query');
    const id = c.req.param('query');
    const saved = await queries.save(body, { ctx: writeContext(c), mode: 'replace', identifier: id, checkGraphql: (query) => schemas.validate(query) });
    return c.json(saved);
  });
  r.delete('/queries/:query', async (c) => {
    requireRole(c, 'admin', 'deleting saved queries');
    await queries.delete(c.req.param('query'), writeContext(c));
    return c.body(null, 204);
  });
  r.post('/queries/:query/run', async (c) => {
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
