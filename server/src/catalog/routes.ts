import type { Model, StoredEntity } from '@plexus/contract';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import { assertAdmin, assertCanAdminister } from '../auth/authorize.ts';
import { BadRequestError, NotFoundError, ValidationError } from '../errors.ts';
import { type AppEnv, mediaType, ndjsonTypes, readJson, readNdjson, writeContext } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createRouter, operation, z } from '../openapi.ts';
import type { SearchService } from '../search/search.ts';
import type { Catalog } from './catalog.ts';
import { isDryRun } from './dry-run.ts';

/**
 * An entity body as the document describes it (API.md "Entities"); validate-entities.ts checks
 * it against its blueprint and names what is wrong.
 */
const entitySchema = z
  .object({
    identifier: z.string(),
    blueprint: z.string().optional().openapi({ description: 'Taken from the URL when left out' }),
    title: z.string().nullable().optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
    relations: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()])).optional().openapi({ description: 'Target identifiers ("blueprint:identifier" where a relation has several target blueprints)' }),
  })
  .catchall(z.unknown())
  .openapi('Entity');

/** The JSON body of `POST /entities/bulk`. */
const bulkRequestSchema = z
  .object({
    entities: z.array(entitySchema),
    blueprints: z.array(z.record(z.string(), z.unknown())).optional().openapi({ description: 'Dry runs only: check the entities against the model with these blueprints saved first' }),
  })
  .openapi('BulkRequest');

const writeQuery = {
  merge: 'true: keep properties and relations the body does not mention',
  runId: "An action run this write belongs to (marks the run's affected entities)",
};

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
}): OpenAPIHono<AppEnv> {
  const { catalog, models, access, search, jsonLimit, ndjsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('Entity', entitySchema);
  r.openAPIRegistry.register('BulkRequest', bulkRequestSchema);
  const merge = (v: string | undefined) => v === 'true' || v === '1';
  const notFound = (blueprint: string, identifier: string) => new NotFoundError(`entity "${identifier}" of blueprint "${blueprint}" does not exist`);

  r.openapi(operation('post', '/blueprints/{blueprint}/entities', { summary: 'Upsert one entity (201 created, 200 updated)', tag: 'Entities', body: 'Entity', query: writeQuery, dryRun: true, responses: { 200: 'Updated (or the dry run)', 201: 'Created', 422: 'Fails the blueprint' } }), async (c) => {
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

  r.openapi(operation('get', '/blueprints/{blueprint}/entities', { summary: 'Page through entities', tag: 'Entities', query: { limit: 'Page size', cursor: 'The `next` of the previous page' } }), async (c) => {
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

  r.openapi(operation('get', '/blueprints/{blueprint}/entities/{identifier}', { summary: 'Read an entity', tag: 'Entities' }), async (c) => {
    const p = c.get('principal');
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    access.assertCanReadBlueprint(p, blueprint);
    // A hidden entity answers exactly like a missing one.
    const [entity] = await access.redactEntities(p, [await catalog.getEntity(blueprint, identifier)]);
    if (!entity) throw notFound(blueprint, identifier);
    return c.json(entity);
  });

  r.openapi(operation('delete', '/blueprints/{blueprint}/entities/{identifier}', { summary: 'Delete an entity and its relationships', tag: 'Entities', dryRun: true }), async (c) => {
    const blueprint = c.req.param('blueprint');
    const identifier = c.req.param('identifier');
    models.require(blueprint);
    await access.checkDelete(c.get('principal'), [{ blueprint, identifier }]);
    await catalog.getEntity(blueprint, identifier);
    if (isDryRun(c.req.query('dryRun'))) return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'entity', blueprint, identifier }] });
    await catalog.deleteEntities([{ blueprint, identifier }], writeContext(c));
    return c.json({ deleted: { blueprint, identifier } });
  });

  r.openapi(
    operation('post', '/entities/bulk', {
      summary: 'Upsert many entities (JSON {entities} or application/x-ndjson); an invalid record fails the whole request',
      tag: 'Entities',
      body: 'BulkRequest',
      ndjson: true,
      query: writeQuery,
      dryRun: true,
      responses: {
        200: {
          description: 'Every entity is stored: {upserted, created, updated, unchanged}',
          schema: z.object({ upserted: z.number().int(), created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() }).catchall(z.unknown()),
        },
        422: 'Invalid records; nothing was written',
        503:
          'The database became unavailable (or the server is shutting down) part-way. A request larger than the batch size (PLEXUS_BATCH_SIZE) is written one transaction per batch, so some batches may have committed: ' +
          'the body is the error shape plus `committed` (every entity stored by this request, [{index, blueprint, identifier, status}]), `committedCount` and `notCommittedCount`; `Retry-After` says when to retry. ' +
          'Retrying the whole request is safe: entities already stored are unchanged no-ops. (If the connection broke during a commit itself, that batch may be stored although not listed; the retry settles it.)',
      },
    }),
    async (c) => {
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
