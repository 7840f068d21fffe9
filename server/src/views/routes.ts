import { Hono } from 'hono';
import type { ReadScope } from '../auth/authorize.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { ViewStore } from './views.ts';

/** A view is visible to whoever may read at least some entities of its blueprint. */
function visible(scope: ReadScope, blueprint: string): boolean {
  return scope.all.includes(blueprint) || blueprint in scope.owned;
}

/**
 * `/api/v1/views`: saved catalog views. Anyone who may read a blueprint's entities sees its views
 * (the others get 404, as if the view did not exist); members create them; only the
 * author or an admin changes or deletes one, so a team's shared view is not rewritten by accident.
 * The store audits each change in its transaction.
 */
export function viewRoutes(deps: { views: ViewStore; models: BlueprintStore; jsonLimit: number }): Hono<AppEnv> {
  const { views, models, jsonLimit } = deps;
  const r = new Hono<AppEnv>();

  const requireOwner = async (c: Parameters<typeof requireRole>[0], id: string, what: string) => {
    const p = requireRole(c, 'member', what);
    const view = await readable(c, id);
    if (p.role !== 'admin' && view.createdBy !== p.name) {
      throw new ForbiddenError(`${what} is for its author (${view.createdBy}) or an admin`);
    }
    return { p, view };
  };

  const readable = async (c: Parameters<typeof requireRole>[0], id: string) => {
    const view = await views.get(id);
    if (!visible(c.get('access').scope(c.get('principal')), view.blueprint)) {
      throw new NotFoundError(`view "${id}" does not exist; GET /api/v1/views lists them`);
    }
    return view;
  };

  r.get('/views', async (c) => {
    const scope = c.get('access').scope(c.get('principal'));
    const all = await views.list({ blueprint: c.req.query('blueprint') || undefined });
    return c.json({ views: all.filter((v) => visible(scope, v.blueprint)) });
  });

  r.post('/views', async (c) => {
    const p = requireRole(c, 'member', 'saving views');
    const body = await readJson(c, jsonLimit);
    const blueprint = (body as { blueprint?: unknown } | null)?.blueprint;
    // Unknown blueprints fall through to the store's 422; a known but unreadable one is refused.
    if (typeof blueprint === 'string' && models.current().has(blueprint) && !visible(c.get('access').scope(p), blueprint)) {
      throw new ForbiddenError(`saving a view of "${blueprint}" needs read access to its entities`);
    }
    const created = await views.create(body, writeContext(c));
    return c.json(created, 201);
  });

  r.get('/views/:id', async (c) => c.json(await readable(c, c.req.param('id'))));

  r.put('/views/:id', async (c) => {
    const id = c.req.param('id');
    await requireOwner(c, id, 'changing a view');
    const after = await views.update(id, await readJson(c, jsonLimit), writeContext(c));
    return c.json(after);
  });

  r.delete('/views/:id', async (c) => {
    const id = c.req.param('id');
    await requireOwner(c, id, 'deleting a view');
    await views.delete(id, writeContext(c));
    return c.json({ deleted: id });
  });
  return r;
}
