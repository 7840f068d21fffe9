import { Hono } from 'hono';
import { ForbiddenError } from '../errors.ts';
import { type AppEnv, readJson, requireRole } from '../http.ts';
import type { ViewStore } from './views.ts';

/**
 * `/api/v1/views`: saved catalog views. Anyone may read them; members create them; only the
 * author or an admin changes or deletes one, so a team's shared view is not rewritten by accident.
 */
export function viewRoutes(deps: { views: ViewStore; jsonLimit: number }): Hono<AppEnv> {
  const { views, jsonLimit } = deps;
  const r = new Hono<AppEnv>();

  const requireOwner = async (c: Parameters<typeof requireRole>[0], id: string, what: string) => {
    const p = requireRole(c, 'member', what);
    const view = await views.get(id);
    if (p.role !== 'admin' && view.createdBy !== p.name) {
      throw new ForbiddenError(`${what} is for its author (${view.createdBy}) or an admin`);
    }
    return p;
  };

  r.get('/views', async (c) =>
    c.json({ views: await views.list({ blueprint: c.req.query('blueprint') || undefined }) }),
  );

  r.post('/views', async (c) => {
    const p = requireRole(c, 'member', 'saving views');
    return c.json(await views.create(await readJson(c, jsonLimit), p.name), 201);
  });

  r.get('/views/:id', async (c) => c.json(await views.get(c.req.param('id'))));

  r.put('/views/:id', async (c) => {
    const id = c.req.param('id');
    const p = await requireOwner(c, id, 'changing a view');
    return c.json(await views.update(id, await readJson(c, jsonLimit), p.name));
  });

  r.delete('/views/:id', async (c) => {
    const id = c.req.param('id');
    await requireOwner(c, id, 'deleting a view');
    await views.delete(id);
    return c.json({ deleted: id });
  });
  return r;
}
