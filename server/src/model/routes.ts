import type { Blueprint } from '@plexus/contract';
import { type Context, Hono } from 'hono';
import { assertAdmin, assertCanAdminister } from '../auth/authorize.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { definitionChange, isDryRun } from '../catalog/dry-run.ts';
import type { EventBus } from '../catalog/events.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
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

function stripMeta(bp: Blueprint): Blueprint {
  const { createdAt, updatedAt, createdBy, updatedBy, applySet, ...rest } = bp;
  return rest as Blueprint;
}

/**
 * `/api/v1/blueprints` and `/api/v1/packs`. Reads: any role; new blueprints: admin; changes,
 * deletes, packs: admin or moderator of every blueprint touched. The store audits each change in
 * its transaction; the routes publish the change events it returns.
 */
export function blueprintRoutes(deps: { models: BlueprintStore; catalog: Catalog; events: EventBus; jsonLimit: number }): Hono<AppEnv> {
  const { models, catalog, events, jsonLimit } = deps;
  const r = new Hono<AppEnv>();

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

  r.get('/blueprints', async (c) => {
    await models.refresh();
    return c.json({ blueprints: [...models.current().values()] });
  });

  r.post('/blueprints', async (c) => {
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

  r.get('/blueprints/:blueprint', async (c) => {
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
  r.put('/blueprints/:blueprint', change('put'));
  r.patch('/blueprints/:blueprint', change('patch'));

  r.delete('/blueprints/:blueprint', async (c) => {
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

  r.get('/packs', (c) =>
    c.json({ packs: listPacks().map((p) => ({ identifier: p.identifier, title: p.title, description: p.description, blueprints: p.blueprints.map((b) => b.identifier) })) }),
  );

  r.post('/packs/:pack', async (c) => {
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
