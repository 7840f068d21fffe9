import type { Model, StoredEntity } from '@plexus/contract';
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import { assertAdmin, assertCanAdminister } from '../auth/authorize.ts';
import { BadRequestError, NotFoundError, ValidationError } from '../errors.ts';
import { type AppEnv, mediaType, ndjsonTypes, readJson, readNdjson, writeContext } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { SearchService } from '../search/search.ts';
import type { Catalog } from './catalog.ts';
import { isDryRun } from './dry-run.ts';

/**
 * Entity endpoints: per-blueprint CRUD and `/entities/bulk` (JSON or NDJSON). Every write is
 * checked record by record before anything is written (one refused record refuses the request);
 * reads return only what the caller may read, with relations to hidden entities left out.
 */
export function entityRoutes(deps: {
  catalog: Catalog;
  models: BlueprintStore;
  access: AccessControl;
  search: SearchService;
  jsonLimit: number;
  ndjsonLimit: number;
}): Hono<AppEnv> {
  const { catalog, models, access, search, jsonLimit, ndjsonLimit } = deps;
  const r = new Hono<AppEnv>();
  const merge = (v: string | undefined) => v === 'true' || v === '1';
  const notFound = (blueprint: string, identifier: string) => new NotFoundError(`entity "${identifier}" of blueprint "${blueprint}" does not exist`);

  r.post('/blueprints/:blueprint/entities', async (c) => {
    const p = c.get('principal');
    const blueprint = c.req.param('blueprint');
    models.require(blueprint);
    // Who may not write here is answered before the body is read.
    access.assertMayWriteEntities(p, blueprint);
    const body = await readJson(c, jsonLimit);
    await access.checkUpsert(p, [body], { defaultBlueprint: blueprint });
    const dryRun = isDryRun(c.req.query('dryRun'));
    const result = await catalog.upsertEntities([body], writeContext(c), { merge: merge(c.req.query('merge')), defaultBlueprint: blueprint, dryRun });
    if (dryRun) return c.json({ dryRun: true, changes: result.changes });
    const [{ identifier, status }] = result.results;
    // Writing does not imply reading (e.g. create granted, read limited to owners).
    const [entity] = await access.redactEntities(p, [await catalog.getEntity(blueprint, identifier)]);
    return c.json(entity ? { ...entity, status } : { blueprint, identifier, status }, status === 'created' ? 201 : 200);
  });

  r.get('/blueprints/:blueprint/entities', async (c) => {
    const p = c.get('principal');
    const blueprint = c.req.param('blueprint');
    const filter = access.assertCanReadBlueprint(p, blueprint);
    const raw = c.req.query('limit');
    const limit = raw === undefined ? undefined : Number(raw);
    const cursor = c.req.query('cursor') ?? null;
    if (filter.kind === 'all') {
      const page = await catalog.listEntities(blueprint, { limit, cursor });
      return c.json({ entities: await access.redactEntities(p, page.entities), next: page.next });
    }
    // Owned entities only: the filtered page comes from search (the filter runs in the query, so
    // neither the page nor its cursor names a hidden entity); the entities from the catalog.
    const page = await search.structured({ blueprint, rules: [], limit: limit ?? 100, cursor }, { scope: access.scope(p) });
    const ids = page.entities.map((e) => e.identifier);
    const byId = new Map((await catalog.getEntities(blueprint, ids)).map((e) => [e.identifier, e]));
    const entities = ids.map((id) => byId.get(id)).filter((e): e is StoredEntity => e !== undefined);
    return c.json({ entities: await access.redactEntities(p, entities), next: page.next });
  });

  r.get('/blueprints/:blueprint/entities/:identifier', async (c) => {
    const p = c.get('principal');
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    access.assertCanReadBlueprint(p, blueprint);
    // A hidden entity answers exactly like a missing one.
    const [entity] = await access.redactEntities(p, [await catalog.getEntity(blueprint, identifier)]);
    if (!entity) throw notFound(blueprint, identifier);
    return c.json(entity);
  });

  r.delete('/blueprints/:blueprint/entities/:identifier', async (c) => {
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    models.require(blueprint);
    await access.checkDelete(c.get('principal'), [{ blueprint, identifier }]);
    await catalog.getEntity(blueprint, identifier);
    if (isDryRun(c.req.query('dryRun'))) return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'entity', blueprint, identifier }] });
    await catalog.deleteEntities([{ blueprint, identifier }], writeContext(c));
    return c.json({ deleted: { blueprint, identifier } });
  });

  r.post('/entities/bulk', async (c) => {
    access.assertMayWriteEntities(c.get('principal'));
    const dryRun = isDryRun(c.req.query('dryRun'));
    let entities: unknown[];
    let model: Model | undefined;
    if (ndjsonTypes.includes(mediaType(c))) {
      entities = [];
      await readNdjson(c, ndjsonLimit, (value) => entities.push(value));
    } else {
      const body = await readJson(c, jsonLimit);
      const list = (body as { entities?: unknown })?.entities;
      if (!Array.isArray(list)) throw new BadRequestError('the body must be {"entities": [Entity, ...]} (or NDJSON with Content-Type: application/x-ndjson)');
      entities = list;
      const planned = (body as { blueprints?: unknown }).blueprints;
      if (planned !== undefined) {
        // Dry runs only: check the entities against the model as it would be with these blueprints
        // saved first (what `plexus apply --dry-run` sends for a folder that brings both).
        if (!dryRun) throw new BadRequestError('"blueprints" in a bulk body is for dry runs only (?dryRun=true); save blueprints with /api/v1/blueprints');
        if (!Array.isArray(planned)) throw new BadRequestError('"blueprints" must be a list of blueprints');
        const p = c.get('principal');
        const ids = planned.map((b) => (b as { identifier?: unknown })?.identifier).filter((id): id is string => typeof id === 'string');
        if (ids.some((id) => !models.get(id))) assertAdmin(p, 'checking entities against new blueprints');
        else assertCanAdminister(p, ids, 'checking entities against changed blueprints');
        try {
          model = (await models.save(planned, { ctx: writeContext(c), mode: 'upsert', force: true, dryRun: true })).model;
        } catch (err) {
          // Said apart from the entities' problems: each detail points into "blueprints".
          if (!(err instanceof ValidationError)) throw err;
          throw new ValidationError(
            `the blueprints sent with the entities are not valid (${err.message}); the entities are checked once they are`,
            err.details.map((d) => ({ ...d, path: `/blueprints/${d.index ?? 0}${d.path ?? ''}` })),
          );
        }
      }
    }
    await access.checkUpsert(c.get('principal'), entities);
    const { upserted, created, updated, unchanged, changes } = await catalog.upsertEntities(entities, writeContext(c), { merge: merge(c.req.query('merge')), dryRun, model });
    if (dryRun) return c.json({ dryRun: true, upserted, created, updated, unchanged, changes });
    return c.json({ upserted, created, updated, unchanged });
  });
  return r;
}
