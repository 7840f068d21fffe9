import { Hono } from 'hono';
import neo4j from 'neo4j-driver';
import { type Db, readRows } from '../../db/driver.ts';
import { checkLimit } from '../../db/pages.ts';
import { loadQuery } from '../../db/query-loader.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../../http.ts';
import type { AutomationStore } from './store.ts';

/**
 * `/api/v1/automations`: members read them (webhook secrets masked), admins change them (audited
 * as kind `automation`). `GET /automations/{automation}/firings` lists its recent firings.
 */
export function automationRoutes(deps: { store: AutomationStore; db: Db; jsonLimit: number }): Hono<AppEnv> {
  const { store, db, jsonLimit } = deps;
  const r = new Hono<AppEnv>();
  r.get('/automations', async (c) => {
    requireRole(c, 'member', 'reading automations');
    return c.json({ automations: await store.list() });
  });
  r.get('/automations/:automation', async (c) => {
    requireRole(c, 'member', 'reading automations');
    return c.json(await store.get(c.req.param('automation')));
  });
  r.get('/automations/:automation/firings', async (c) => {
    requireRole(c, 'member', 'reading automations');
    const automation = (await store.get(c.req.param('automation'))).identifier;
    const limit = checkLimit(c.req.query('limit') ? Number(c.req.query('limit')) : undefined, 50);
    const rows = await readRows<{ firing: Record<string, unknown> }>(
      db,
      loadQuery('automations/list-firings'),
      { automation, limit: neo4j.int(limit) },
    );
    const at = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : null);
    return c.json({
      firings: rows.map(({ firing: f }) => ({
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
  r.post('/automations', async (c) => {
    requireRole(c, 'admin', 'creating automations');
    return c.json(await store.create(await readJson(c, jsonLimit), writeContext(c)), 201);
  });
  r.put('/automations/:automation', async (c) => {
    requireRole(c, 'admin', 'changing automations');
    return c.json(
      await store.replace(c.req.param('automation'), await readJson(c, jsonLimit), writeContext(c)),
    );
  });
  r.delete('/automations/:automation', async (c) => {
    const id = c.req.param('automation');
    requireRole(c, 'admin', 'deleting automations');
    await store.delete(id, writeContext(c));
    return c.json({ deleted: id });
  });
  return r;
}
