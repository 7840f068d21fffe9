import { Hono } from 'hono';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson, readNdjson, requireRole, writeContext } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { Catalog } from './catalog.ts';

/** Entity endpoints: per-blueprint CRUD and `/entities/bulk` (JSON or NDJSON). */
export function entityRoutes(deps: { catalog: Catalog; models: BlueprintStore; jsonLimit: number; ndjsonLimit: number }): Hono<AppEnv> {
  const { catalog, models, jsonLimit, ndjsonLimit } = deps;
  const r = new Hono<AppEnv>();
  const merge = (v: string | undefined) => v === 'true' || v === '1';

  r.post('/blueprints/:blueprint/entities', async (c) => {
    requireRole(c, 'member', 'writing entities');
    const blueprint = c.req.param('blueprint');
    models.require(blueprint);
    const body = await readJson(c, jsonLimit);
    const result = await catalog.upsertEntities([body], writeContext(c), { merge: merge(c.req.query('merge')), defaultBlueprint: blueprint });
    const [{ identifier, status }] = result.results;
    const entity = await catalog.getEntity(blueprint, identifier);
    return c.json({ ...entity, status }, status === 'created' ? 201 : 200);
  });

  r.get('/blueprints/:blueprint/entities', async (c) => {
    const limit = c.req.query('limit');
    return c.json(
      await catalog.listEntities(c.req.param('blueprint'), {
        limit: limit === undefined ? undefined : Number(limit),
        cursor: c.req.query('cursor') ?? null,
      }),
    );
  });

  r.get('/blueprints/:blueprint/entities/:identifier', async (c) =>
    c.json(await catalog.getEntity(c.req.param('blueprint'), c.req.param('identifier'))),
  );

  r.delete('/blueprints/:blueprint/entities/:identifier', async (c) => {
    requireRole(c, 'member', 'deleting entities');
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    await catalog.getEntity(blueprint, identifier);
    await catalog.deleteEntities([{ blueprint, identifier }], writeContext(c));
    return c.json({ deleted: { blueprint, identifier } });
  });

  r.post('/entities/bulk', async (c) => {
    requireRole(c, 'member', 'writing entities');
    const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
    let entities: unknown[];
    if (type === 'application/x-ndjson' || type === 'application/ndjson') {
      entities = [];
      await readNdjson(c, ndjsonLimit, (value) => entities.push(value));
    } else {
      const body = await readJson(c, jsonLimit);
      const list = (body as { entities?: unknown })?.entities;
      if (!Array.isArray(list)) throw new BadRequestError('the body must be {"entities": [Entity, ...]} (or NDJSON with Content-Type: application/x-ndjson)');
      entities = list;
    }
    const { upserted, created, updated, unchanged } = await catalog.upsertEntities(entities, writeContext(c), { merge: merge(c.req.query('merge')) });
    return c.json({ upserted, created, updated, unchanged });
  });
  return r;
}
