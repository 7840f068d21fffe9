import { Hono } from 'hono';
import { canReadEntity, type ReadScope } from '../auth/authorize.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, requireRole } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { relTypeOf } from '../model/names.ts';
import type { AuditEvent } from './audit.ts';
import type { AuditLog } from './audit.ts';

/**
 * Keeps the events a caller may read: those of blueprints readable in full, and of owned-only
 * blueprints those whose entity (after the change, or before a delete) belonged to one of the
 * caller's teams. The before/after snapshots hold the owner relation, so no lookup is needed.
 */
function visibleEvents(events: AuditEvent[], scope: ReadScope, models: BlueprintStore): AuditEvent[] {
  if (scope.unrestricted) return events;
  return events.filter((e) => {
    if (!e.blueprint) return false;
    if (!e.identifier) return scope.all.includes(e.blueprint) || e.blueprint in scope.owned;
    const type = scope.owned[e.blueprint];
    const bp = models.get(e.blueprint);
    const relations = Object.keys(bp?.relations ?? {}).filter((r) => relTypeOf(r) === type);
    const snapshot = (e.after ?? e.before) as { relations?: Record<string, string | string[] | null> } | null;
    const owners = relations.flatMap((r) => {
      const v = snapshot?.relations?.[r];
      return (v == null ? [] : Array.isArray(v) ? v : [v]).map((x) => x.slice(x.indexOf(':') + 1));
    });
    return canReadEntity(scope, e.blueprint, owners);
  });
}

/** `GET /api/v1/audit?entity=&blueprint=&actor=&since=` (entity as `blueprint:identifier` or with `blueprint`). */
export function auditRoutes(audit: AuditLog, models: BlueprintStore): Hono<AppEnv> {
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
    const page = await audit.list({
        blueprint,
        identifier,
        actor: c.req.query('actor') || undefined,
        since: c.req.query('since') || undefined,
        limit: limit ? Number(limit) : undefined,
        cursor: c.req.query('cursor') || null,
    });
    // Filtering after paging may shorten a page; `next` still continues where it stopped.
    return c.json({ ...page, events: visibleEvents(page.events, c.get('access').scope(c.get('principal')), models) });
  });
  return r;
}
