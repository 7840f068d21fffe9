import type { Blueprint } from '@plexus/contract';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { assertAdmin, assertCanAdminister } from '../auth/authorize.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { definitionChange, isDryRun } from '../catalog/dry-run.ts';
import type { EventBus } from '../catalog/events.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
import { createRouter, dryRunSchema, operation, z } from '../openapi.ts';
import type { BlueprintStore, SaveResult } from './blueprint-store.ts';
import { listPacks, mergePackBlueprints, readPack } from './packs.ts';

function flag(v: string | undefined): boolean {
  return v === 'true' || v === '1';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * A blueprint body as the document describes it (API.md "Blueprints"); validate-blueprint.ts
 * checks it in detail and names what is wrong.
 */
const blueprintSchema = z
  .object({
    identifier: z.string().regex(/^[a-z][a-zA-Z0-9]{0,63}$/),
    title: z.string().optional(),
    description: z.string().optional(),
    schema: z.object({ properties: z.record(z.string(), z.record(z.string(), z.unknown())).optional(), required: z.array(z.string()).optional() }).catchall(z.unknown()),
    relations: z.record(z.string(), z.object({ target: z.union([z.string(), z.array(z.string())]), title: z.string().optional(), many: z.boolean().optional(), required: z.boolean().optional(), inverse: z.string().optional(), role: z.enum(['dependency', 'ownership', 'membership', 'other']).optional() }).catchall(z.unknown())).optional(),
  })
  .catchall(z.unknown())
  .openapi('Blueprint');

const force = { force: 'true: allow a change that drops data (or a delete with entities)' };

function stripMeta(bp: Blueprint): Blueprint {
  const { createdAt, updatedAt, createdBy, updatedBy, applySet, ...rest } = bp;
  return rest as Blueprint;
}

/**
 * `/api/v1/blueprints` and `/api/v1/packs`. Reads: any role; new blueprints: admin; changes,
 * deletes, packs: admin or moderator of every blueprint touched. The store audits each change in
 * its transaction; the routes publish the change events it returns.
 */
export function blueprintRoutes(deps: { models: BlueprintStore; catalog: Catalog; events: EventBus; jsonLimit: number }): OpenAPIHono<AppEnv> {
  const { models, catalog, events, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('Blueprint', blueprintSchema);

  const migrationReport = (result: SaveResult) =>
    result.migrations.map((m) => ({ blueprint: m.blueprint, changes: m.changes.map(({ kind, path, message, affected }) => ({ kind, path, message, affected })) }));
  /** The answer of a dry-run save: each blueprint's field-level change, and the data migrations it would run. */
  const dryRunAnswer = (result: SaveResult, before: ReadonlyMap<string, Blueprint>) => ({
    dryRun: true as const,
    changes: result.blueprints.map((b) =>
      definitionChange('blueprint', b.identifier, (before.get(b.identifier) as Record<string, unknown> | undefined) ?? null, b as unknown as Record<string, unknown>, ['createdAt', 'updatedAt', 'createdBy', 'updatedBy']),
    ),
    migrations: migrationReport(result),
  });

  r.openapi(operation('get', '/blueprints', { summary: 'List blueprints', tag: 'Blueprints' }), async (c) => {
    await models.refresh();
    return c.json({ blueprints: [...models.current().values()] });
  });

  r.openapi(operation('post', '/blueprints', { summary: 'Create a blueprint (admin)', tag: 'Blueprints', body: 'Blueprint', dryRun: true, responses: { 200: { description: 'Dry run: the changes', schema: dryRunSchema }, 201: 'Created', 409: 'Exists', 422: 'Invalid definition' } }), async (c) => {
    const p = c.get('principal');
    assertAdmin(p, 'creating blueprints');
    const body = await readJson(c, jsonLimit);
    const before = models.current();
    const dryRun = isDryRun(c.req.query('dryRun'));
    const result = await models.save([body], { ctx: writeContext(c), mode: 'create', dryRun });
    if (dryRun) return c.json(dryRunAnswer(result, before));
    events.emit(result.events);
    return c.json(result.blueprints[0], 201);
  });

  r.openapi(operation('get', '/blueprints/{blueprint}', { summary: 'Read a blueprint', tag: 'Blueprints' }), async (c) => {
    await models.refresh();
    return c.json(models.require(c.req.param('blueprint')));
  });

  const change = (mode: 'put' | 'patch') => async (c: Context<AppEnv>) => {
    const p = c.get('principal');
    const id = c.req.param('blueprint') ?? '';
    assertCanAdminister(p, [id], 'changing a blueprint');
    await models.refresh();
    const existing = models.require(id);
    const body = await readJson(c, jsonLimit);
    if (!isObject(body)) throw new BadRequestError('the body must be a JSON object');
    if (body.identifier !== undefined && body.identifier !== id) {
      throw new BadRequestError(`identifier "${String(body.identifier)}" in the body does not match "${id}" in the URL; blueprints cannot be renamed`);
    }
    const next = mode === 'put' ? { ...body, identifier: id } : mergePatch(stripMeta(existing), body);
    const before = models.current();
    const dryRun = isDryRun(c.req.query('dryRun'));
    const result = await models.save([next], { ctx: writeContext(c), mode: 'replace', force: flag(c.req.query('force')), dryRun });
    if (dryRun) return c.json(dryRunAnswer(result, before));
    events.emit(result.events);
    return c.json({ ...result.blueprints[0], migrations: migrationReport(result) });
  };
  r.openapi(operation('put', '/blueprints/{blueprint}', { summary: 'Replace a blueprint; destructive changes need ?force=true', tag: 'Blueprints', body: 'Blueprint', query: force, dryRun: true, responses: { 200: 'Saved, with the data migrations it ran (or the dry run)', 409: 'Would drop data without force', 422: 'Invalid definition' } }), change('put'));
  r.openapi(operation('patch', '/blueprints/{blueprint}', { summary: 'Change a blueprint with a JSON merge patch', tag: 'Blueprints', body: 'Blueprint', query: force, dryRun: true, responses: { 200: 'Saved, with the data migrations it ran (or the dry run)', 409: 'Would drop data without force', 422: 'Invalid definition' } }), change('patch'));

  r.openapi(operation('delete', '/blueprints/{blueprint}', { summary: 'Delete a blueprint; with entities only with ?force=true', tag: 'Blueprints', query: force, dryRun: true, responses: { 200: 'Deleted', 409: 'Has entities (without force) or other relations target it' } }), async (c) => {
    const p = c.get('principal');
    const id = c.req.param('blueprint');
    assertCanAdminister(p, [id], 'deleting a blueprint');
    await models.refresh();
    const existing = models.require(id);
    const force = flag(c.req.query('force'));
    let deletedEntities = 0;
    if (isDryRun(c.req.query('dryRun'))) {
      // The same checks as the deletion (relations that target it, entities without force), nothing deleted.
      await models.delete(id, { ctx: writeContext(c), force, dryRun: true });
      const entities = force ? await models.countEntities(id) : 0;
      return c.json({ dryRun: true, changes: [definitionChange('blueprint', id, existing as unknown as Record<string, unknown>, null)], deletedEntities: entities });
    }
    // Checked before deleting anything: a blueprint other relations target cannot go.
    if (force) {
      await models.delete(id, { ctx: writeContext(c), force: true, dryRun: true });
      deletedEntities = await catalog.deleteAllOf(id, writeContext(c));
    }
    events.emit(await models.delete(id, { ctx: writeContext(c), force }));
    return c.json({ deleted: id, deletedEntities });
  });

  r.openapi(operation('get', '/packs', { summary: 'List the shipped blueprint packs', tag: 'Blueprints' }), (c) =>
    c.json({ packs: listPacks().map((p) => ({ identifier: p.identifier, title: p.title, description: p.description, blueprints: p.blueprints.map((b) => b.identifier) })) }),
  );

  r.openapi(operation('post', '/packs/{pack}', { summary: 'Load a blueprint pack (admin)', tag: 'Blueprints', query: force }), async (c) => {
    const p = c.get('principal');
    const pack = readPack(c.req.param('pack'));
    assertCanAdminister(p, pack.blueprints.map((b) => b.identifier), `loading pack "${pack.identifier}"`);
    // A pack is not part of a `plexus apply` set.
    const { applySet, ...ctx } = writeContext(c);
    // Merged with the stored model as it is now (another replica may have changed it).
    await models.refresh();
    const result = await models.save(mergePackBlueprints(pack, models.current()), { ctx, mode: 'upsert', force: flag(c.req.query('force')) });
    events.emit(result.events);
    return c.json({ pack: pack.identifier, created: result.created, updated: result.updated, migrations: migrationReport(result) });
  });
  return r;
}
