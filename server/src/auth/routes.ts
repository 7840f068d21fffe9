import { Hono } from 'hono';
import { type AppEnv, readJson, requireRole } from '../http.ts';
import type { Role, TokenStore } from './tokens.ts';

/** `/api/v1/tokens`: create (secret shown once), list (no secrets), revoke. Admin only. */
export function tokenRoutes(tokens: TokenStore, limit: number): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) => {
    requireRole(c, 'admin', 'listing tokens');
    return c.json({ tokens: await tokens.list() });
  });
  r.post('/', async (c) => {
    const p = requireRole(c, 'admin', 'creating tokens');
    const body = (await readJson(c, limit)) as { name: string; role: Role; expiresAt?: string };
    return c.json(await tokens.create({ name: body?.name, role: body?.role, expiresAt: body?.expiresAt }, p.name), 201);
  });
  r.delete('/:id', async (c) => {
    requireRole(c, 'admin', 'revoking tokens');
    await tokens.delete(c.req.param('id'));
    return c.body(null, 204);
  });
  return r;
}
