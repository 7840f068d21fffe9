import type { AutomationDefinition } from '@plexus/contract';
import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import neo4j from 'neo4j-driver';
import type { Principal } from '../../auth/principal.ts';
import { type Db, readRows } from '../../db/driver.ts';
import { checkLimit } from '../../db/pages.ts';
import { loadQuery } from '../../db/query-loader.ts';
import { NotFoundError } from '../../errors.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../../http.ts';
import { createRouter, operation, z } from '../../openapi.ts';
import type { AutomationStore } from './store.ts';

/**
 * Whether a member may see an automation: its trigger's blueprint must be readable to them (an
 * automation on a blueprint they cannot read would name it and describe its entities).
 */
function readable(c: Context<AppEnv>, p: Principal, a: AutomationDefinition): boolean {
  const blueprint = 'blueprint' in a.trigger ? a.trigger.blueprint : undefined;
  if (!blueprint) return true;
  const scope = c.get('access').scope(p);
  return scope.unrestricted || scope.all.includes(blueprint) || blueprint in scope.owned;
}

/** The body of `POST /automations` and `PUT /automations/{automation}`; validate-automation.ts checks it. */
const automationInputSchema = z
  .object({
    identifier: z.string(),
    title: z.string(),
    description: z.string().optional(),
    enabled: z.boolean().optional(),
    trigger: z.record(z.string(), z.unknown()).openapi({ description: 'The event that fires it, e.g. {"type": "entity.updated", "blueprint"}' }),
    condition: z.object({ jsonata: z.string() }).optional(),
    target: z.record(z.string(), z.unknown()).openapi({ description: 'An action run or a signed webhook' }),
  })
  .catchall(z.unknown())
  .openapi('AutomationInput');

/**
 * `/api/v1/automations`: members read them (webhook secrets masked), admins change them (audited
 * as kind `automation`). `GET /automations/{automation}/firings` lists its recent firings.
 */
export function automationRoutes(deps: { store: AutomationStore; db: Db; jsonLimit: number }): OpenAPIHono<AppEnv> {
  const { store, db, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('AutomationInput', automationInputSchema);
  const tag = 'Automations';
  r.openapi(operation('get', '/automations', { summary: 'Automations (member; webhook secrets masked)', tag }), async (c) => {
    const p = requireRole(c, 'member', 'reading automations');
    return c.json({ automations: (await store.list()).filter((a) => readable(c, p, a)) });
  });
  const readableOne = async (c: Context<AppEnv>) => {
    const p = requireRole(c, 'member', 'reading automations');
    const a = await store.get(c.req.param('automation') ?? '');
    if (!readable(c, p, a))
      throw new NotFoundError(
        `automation "${a.identifier}" does not exist; GET /api/v1/automations lists them`,
      );
    return { p, a };
  };
  r.openapi(operation('get', '/automations/{automation}', { summary: 'Read an automation with its status (last firing, last error)', tag }), async (c) => c.json((await readableOne(c)).a));
  r.openapi(operation('get', '/automations/{automation}/firings', { summary: "An automation's latest firings (state, depth, run, error)", tag, query: { limit: 'Firings at most' } }), async (c) => {
    const { p, a } = await readableOne(c);
    const automation = a.identifier;
    const limit = checkLimit(c.req.query('limit') ? Number(c.req.query('limit')) : undefined, 50);
    const rows = await readRows<{ firing: Record<string, unknown> }>(
      db,
      loadQuery('automations/list-firings'),
      { automation, limit: neo4j.int(limit) },
    );
    const at = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : null);
    // Firings name the entity that fired them: only those the caller may read.
    const refs = rows.map(({ firing: f }, i) => {
      const ref = typeof f.entity === 'string' ? f.entity : '';
      const colon = ref.indexOf(':');
      return { blueprint: ref.slice(0, colon), identifier: ref.slice(colon + 1), i };
    });
    const shown = new Set(
      (
        await c.get('access').readableRefs(
          p,
          refs.filter((r) => r.blueprint),
        )
      ).map((r) => r.i),
    );
    const visible = rows.filter(({ firing: f }, i) => !f.entity || shown.has(i));
    return c.json({
      firings: visible.map(({ firing: f }) => ({
        key: f.key,
        event: f.event,
        state: f.state,
        depth: f.depth,
        entity: f.entity ?? null,
        runId: f.runId ?? null,
        status: f.status ?? null,
        error: f.error ?? null,
        attempts: f.attempts ?? 0,
        createdAt: at(f.createdAt),
        finishedAt: at(f.finishedAt),
      })),
    });
  });
  r.openapi(operation('post', '/automations', { summary: 'Create an automation (admin)', tag, body: 'AutomationInput', responses: { 201: 'Created', 409: 'Identifier taken', 422: 'Invalid automation' } }), async (c) => {
    requireRole(c, 'admin', 'creating automations');
    return c.json(await store.create(await readJson(c, jsonLimit), writeContext(c)), 201);
  });
  r.openapi(operation('put', '/automations/{automation}', { summary: 'Replace an automation (admin); "********" keeps the stored webhook secret', tag, body: 'AutomationInput', responses: { 200: 'OK', 422: 'Invalid automation' } }), async (c) => {
    requireRole(c, 'admin', 'changing automations');
    return c.json(
      await store.replace(c.req.param('automation'), await readJson(c, jsonLimit), writeContext(c)),
    );
  });
  r.openapi(operation('delete', '/automations/{automation}', { summary: 'Delete an automation (admin)', tag }), async (c) => {
    const id = c.req.param('automation');
    requireRole(c, 'admin', 'deleting automations');
    await store.delete(id, writeContext(c));
    return c.json({ deleted: id });
  });
  return r;
}
