import { Hono } from 'hono';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, requireRole } from '../http.ts';
import type { AuditLog } from './audit.ts';

/** `GET /api/v1/audit?entity=&blueprint=&actor=&since=` (entity as `blueprint:identifier` or with `blueprint`). */
export function auditRoutes(audit: AuditLog): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/audit', async (c) => {
    requireRole(c, 'member', 'reading the audit trail');
    let blueprint = c.req.query('blueprint') || undefined;
    let identifier: string | undefined;
    const entity = c.req.query('entity');
    if (entity) {
      const i = entity.indexOf(':');
      if (i > 0 && !blueprint) {
        blueprint = entity.slice(0, i);
        identifier = entity.slice(i + 1);
      } else if (blueprint) identifier = entity;
      else throw new BadRequestError('entity must be "blueprint:identifier", or pass blueprint too');
    }
    const limit = c.req.query('limit');
    return c.json(
      await audit.list({
        blueprint,
        identifier,
        actor: c.req.query('actor') || undefined,
        since: c.req.query('since') || undefined,
        limit: limit ? Number(limit) : undefined,
        cursor: c.req.query('cursor') || null,
      }),
    );
  });
  return r;
}
