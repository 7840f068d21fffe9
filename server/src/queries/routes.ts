import { Hono } from 'hono';
import { graphqlContext } from '../graphql/routes.ts';
import type { SchemaService } from '../graphql/schema-service.ts';
import { BadRequestError, ForbiddenError } from '../errors.ts';
import { type AppEnv, readBodyText, readJson, requireRole } from '../http.ts';
import type { SavedQueries } from './saved-queries.ts';

/**
 * `/api/v1/queries`: saved queries. Cypher ones read the graph directly, outside the per-blueprint
 * read rules, so only admins save them; GraphQL ones run with the caller's own GraphQL context.
 */
export function queryRoutes(deps: { queries: SavedQueries; schemas: SchemaService; jsonLimit: number; database?: string }): Hono<AppEnv> {
  const { queries, schemas, jsonLimit } = deps;
  const r = new Hono<AppEnv>();
  const roleToSave = (body: unknown) => ((body as { language?: string })?.language === 'graphql' ? 'member' : 'admin');
  r.get('/queries', async (c) => c.json({ queries: await queries.list() }));
  r.get('/queries/:query', async (c) => c.json(await queries.get(c.req.param('query'))));
  r.post('/queries', async (c) => {
    const body = await readJson(c, jsonLimit);
    const p = requireRole(c, roleToSave(body), 'saving this query');
    return c.json(await queries.save(body, { actor: p.name, mode: 'create', schema: (await schemas.forRequest()).schema }), 201);
  });
  r.put('/queries/:query', async (c) => {
    const body = await readJson(c, jsonLimit);
    const p = requireRole(c, roleToSave(body), 'saving this query');
    return c.json(await queries.save(body, { actor: p.name, mode: 'replace', identifier: c.req.param('query'), schema: (await schemas.forRequest()).schema }));
  });
  r.delete('/queries/:query', async (c) => {
    requireRole(c, 'admin', 'deleting saved queries');
    await queries.delete(c.req.param('query'));
    return c.body(null, 204);
  });
  r.post('/queries/:query/run', async (c) => {
    const q = await queries.get(c.req.param('query'));
    const text = await readBodyText(c, jsonLimit);
    let args: { params?: Record<string, unknown> } = {};
    try {
      if (text.trim()) args = JSON.parse(text);
    } catch (err) {
      throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
    }
    if (q.language === 'cypher') {
      // Saved Cypher reads the graph directly, outside the per-blueprint read rules.
      if (!c.get('access').scope(c.get('principal')).unrestricted) {
        throw new ForbiddenError('this saved query is Cypher, which reads the whole graph; running it needs read access to every blueprint (GraphQL saved queries apply your permissions)');
      }
      return c.json(await queries.runCypher(q, args.params ?? {}));
    }
    return c.json(await queries.runGraphql(q, args.params ?? {}, (await schemas.forRequest()).schema, graphqlContext(c, deps.database)));
  });
  return r;
}
