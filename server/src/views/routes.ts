import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ReadScope } from '../auth/authorize.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { type AppEnv, readJson, requireRole, writeContext } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createRouter, operation, z } from '../openapi.ts';
import type { SavedView, ViewStore } from './views.ts';

/** A saved catalog view as stored and answered; `definition` is the UI's (opaque to the server). */
const savedViewSchema = z
  .object({
    id: z.string(),
    blueprint: z.string(),
    name: z.string(),
    definition: z.record(z.string(), z.unknown()),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedBy: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi('SavedView');

/** The body of `POST /views` and `PUT /views/{id}`; views.ts checks it. */
const viewInputSchema = z
  .object({ blueprint: z.string(), name: z.string(), definition: z.record(z.string(), z.unknown()) })
  .openapi('ViewInput');

/** Compile-time check that what the store answers is what the document says. */
const answer = (view: SavedView) => view satisfies z.infer<typeof savedViewSchema>;

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
export function viewRoutes(deps: { views: ViewStore; models: BlueprintStore; jsonLimit: number }): OpenAPIHono<AppEnv> {
  const { views, models, jsonLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('ViewInput', viewInputSchema);
  const tag = 'Catalog views';
  const one = (description: string) => ({ description, schema: savedViewSchema });

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

  r.openapi(operation('get', '/views', { summary: 'Saved catalog views of the blueprints the caller may read', tag, query: { blueprint: 'Only views of this blueprint' }, responses: { 200: { description: 'The views', schema: z.object({ views: z.array(savedViewSchema) }) } } }), async (c) => {
    const scope = c.get('access').scope(c.get('principal'));
    const all = await views.list({ blueprint: c.req.query('blueprint') || undefined });
    return c.json({ views: all.filter((v) => visible(scope, v.blueprint)).map(answer) });
  });

  r.openapi(operation('post', '/views', { summary: 'Save a catalog view (member)', tag, body: 'ViewInput', responses: { 201: one('Created'), 409: 'Name taken', 422: 'Invalid view' } }), async (c) => {
    const p = requireRole(c, 'member', 'saving views');
    const body = await readJson(c, jsonLimit);
    const blueprint = (body as { blueprint?: unknown } | null)?.blueprint;
    // Unknown blueprints fall through to the store's 422; a known but unreadable one is refused.
    if (typeof blueprint === 'string' && models.current().has(blueprint) && !visible(c.get('access').scope(p), blueprint)) {
      throw new ForbiddenError(`saving a view of "${blueprint}" needs read access to its entities`);
    }
    const created = await views.create(body, writeContext(c));
    return c.json(answer(created), 201);
  });

  r.openapi(operation('get', '/views/{id}', { summary: 'Read a view', tag, responses: { 200: one('The view') } }), async (c) => c.json(answer(await readable(c, c.req.param('id')))));

  r.openapi(operation('put', '/views/{id}', { summary: 'Change a view (its author or an admin)', tag, body: 'ViewInput', responses: { 200: one('Changed'), 422: 'Invalid view' } }), async (c) => {
    const id = c.req.param('id');
    await requireOwner(c, id, 'changing a view');
    const after = await views.update(id, await readJson(c, jsonLimit), writeContext(c));
    return c.json(answer(after));
  });

  r.openapi(operation('delete', '/views/{id}', { summary: 'Delete a view (its author or an admin)', tag }), async (c) => {
    const id = c.req.param('id');
    await requireOwner(c, id, 'deleting a view');
    await views.delete(id, writeContext(c));
    return c.json({ deleted: id });
  });
  return r;
}
