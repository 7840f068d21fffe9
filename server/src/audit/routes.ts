import { type AuditEvent, relTypeOf } from '@plexus/contract';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessControl } from '../auth/access.ts';
import { canReadEntity, isAdmin, type ReadScope } from '../auth/authorize.ts';
import type { Principal } from '../auth/principal.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, requireRole } from '../http.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { createRouter, operation } from '../openapi.ts';
import type { AuditLog } from './audit.ts';

/** Changes to who may do what: for admins' eyes only. */
const adminOnlyKinds = new Set(['user', 'team', 'token']);
/** Objects every signed-in caller may list anyway (GET /sources, /queries). */
const openKinds = new Set(['source', 'query']);

/**
 * Keeps the events a caller may read. Users, teams and tokens: admins only. Sources and saved
 * queries: everyone (their definitions are readable by everyone; secrets are never recorded).
 * Blueprints, scorecards and views: readers of their blueprint. Entities: those of blueprints
 * readable in full, and of owned-only blueprints those whose entity (after the change, or before
 * a delete) belonged to one of the caller's teams. The before/after snapshots hold the owner
 * relation, so no lookup is needed.
 */
function visibleEvents(events: AuditEvent[], admin: boolean, scope: ReadScope, models: BlueprintStore): AuditEvent[] {
  if (admin) return events;
  return events.filter((e) => {
    if (adminOnlyKinds.has(e.kind)) return false;
    if (openKinds.has(e.kind) || scope.unrestricted) return true;
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

/**
 * Entity snapshots of the events left, without relation values naming entities the caller may
 * not read (an event they may see can still point at a hidden team or dependency).
 */
async function redactSnapshots(access: AccessControl, p: Principal, events: AuditEvent[]): Promise<AuditEvent[]> {
  const entityEvents = events.filter((e) => e.kind === 'entity');
  if (entityEvents.length === 0) return events;
  const snapshots = await access.redactSnapshots(p, entityEvents.flatMap((e) => [e.before, e.after]));
  const redacted = new Map(entityEvents.map((e, i) => [e, { ...e, before: snapshots[2 * i], after: snapshots[2 * i + 1] }]));
  return events.map((e) => redacted.get(e) ?? e);
}

/**
 * `GET /api/v1/audit?entity=&blueprint=&actor=&since=&kind=&subject=` (entity as
 * `blueprint:identifier` or with `blueprint`; kind one of `auditKinds`, subject its identifier).
 */
export function auditRoutes(audit: AuditLog, models: BlueprintStore): OpenAPIHono<AppEnv> {
  const r = createRouter();
  const summary =
    'Audit trail of every write (actor, origin, before/after), newest first, limited to what the caller may read (user, team and token events: admins only; relation values naming entities the caller may not read are removed from before/after). kind: entity|blueprint|scorecard|source|user|team|token|query|view|action|automation|run; subject: its identifier (blueprint:identifier for entities, the id of a run)';
  const query = {
    kind: 'entity, blueprint, scorecard, source, user, team, token, query, view, action, automation or run',
    subject: 'The identifier of what changed (blueprint:identifier for entities, the id of a run)',
    blueprint: 'Only this blueprint',
    entity: '"blueprint:identifier", or an identifier with blueprint',
    actor: 'Only changes by this actor',
    since: 'ISO date-time: only changes after it',
    limit: 'Page size',
    cursor: 'The `next` of the previous page',
  };
  r.openapi(operation('get', '/audit', { summary, tag: 'Administration', query }), async (c) => {
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
        kind: c.req.query('kind') || undefined,
        subject: c.req.query('subject') || undefined,
        blueprint,
        identifier,
        actor: c.req.query('actor') || undefined,
        since: c.req.query('since') || undefined,
        limit: limit ? Number(limit) : undefined,
        cursor: c.req.query('cursor') || null,
    });
    // Filtering after paging may shorten a page; `next` still continues where it stopped.
    const p = c.get('principal');
    const events = visibleEvents(page.events, isAdmin(p), c.get('access').scope(p), models);
    return c.json({ ...page, events: await redactSnapshots(c.get('access'), p, events) });
  });
  return r;
}
