import { randomUUID } from 'node:crypto';
import {
  type AdminChangeEvent,
  type AdminObjectKind,
  type AuditEvent,
  type AuditKind,
  auditKinds,
  type ChangeEvent,
  type WriteContext,
} from '@plexus/contract';
import neo4j, { type ManagedTransaction } from 'neo4j-driver';
import { type Db, openSession, readRows, writeRows } from '../db/driver.ts';
import { checkLimit, cursorOf, latestTimestamp, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError } from '../errors.ts';

function isAuditKind(k: string): k is AuditKind {
  return (auditKinds as readonly string[]).includes(k);
}

/** Kind, subject and the blueprint/identifier columns of an event's audit row. */
function subjectOf(e: ChangeEvent): { kind: AuditKind; subject: string; blueprint: string | null; identifier: string | null } {
  if ('kind' in e) return { kind: e.kind, subject: e.subject, blueprint: e.blueprint ?? null, identifier: null };
  if (e.type === 'scorecard.levelChanged') return { kind: 'scorecard', subject: e.scorecard, blueprint: e.blueprint, identifier: e.entity };
  if ('identifier' in e) return { kind: 'entity', subject: `${e.blueprint}:${e.identifier}`, blueprint: e.blueprint, identifier: e.identifier };
  return { kind: 'blueprint', subject: e.blueprint, blueprint: e.blueprint, identifier: null };
}

/** JSON without the bookkeeping fields every save bumps, to tell a real change from a re-save. */
function substance(snapshot: Record<string, unknown> | null): string {
  if (!snapshot) return 'null';
  const { updatedAt, updatedBy, ...rest } = snapshot;
  return JSON.stringify(rest);
}

/**
 * The audit event of a change to an administered object (`writeAudited` records it): created when
 * there is no `before`, deleted when there is no `after`. Empty when an update changed nothing
 * but its timestamps, so a re-save of the same definition leaves no trace, as for entities.
 * Snapshots are copied as JSON; callers pass ones without secrets. The writer records it in the
 * change's own transaction (`writeAudited`, `recordInTransaction`).
 *
 * @example
 * return { result: saved, events: adminChange('query', id, ctx, before, saved) }; // inside writeAudited
 */
export function adminChange<K extends AdminObjectKind>(
  kind: K,
  subject: string,
  ctx: WriteContext,
  before: object | null,
  after: object | null,
  options: { blueprint?: string | null; type?: AdminChangeEvent<K>['type']; at?: string } = {},
): AdminChangeEvent<K>[] {
  const copy = (o: object | null) => (o ? (JSON.parse(JSON.stringify(o)) as Record<string, unknown>) : null);
  const b = copy(before);
  const a = copy(after);
  const type = options.type ?? (`${kind}.${b === null ? 'created' : a === null ? 'deleted' : 'updated'}` as AdminChangeEvent<K>['type']);
  if (type === `${kind}.updated` && substance(b) === substance(a)) return [];
  return [
    {
      type,
      kind,
      subject,
      blueprint: options.blueprint ?? null,
      before: b,
      after: a,
      actor: ctx.actor,
      source: ctx.source,
      ...(ctx.runId ? { runId: ctx.runId } : {}),
      at: options.at ?? new Date().toISOString(),
    },
  ];
}

/**
 * Audit rows for the given change events, ready for `cypher/audit/record-events` — which the
 * writer runs inside its own transaction, so a change and its audit record commit together.
 */
export function auditRows(events: readonly ChangeEvent[]): Record<string, unknown>[] {
  return events.map((e) => ({
    id: randomUUID(),
    at: e.at,
    type: e.type,
    ...subjectOf(e),
    actor: e.actor,
    origin: ('source' in e && e.source) || 'api',
    runId: ('runId' in e ? e.runId : null) ?? null,
    ...(e.type === 'scorecard.levelChanged'
      ? {
          before: JSON.stringify({ level: e.from, levelIndex: e.fromIndex ?? null }),
          after: JSON.stringify({ level: e.to, levelIndex: e.toIndex ?? null }),
        }
      : {
          before: 'before' in e && e.before ? JSON.stringify(e.before) : null,
          after: 'after' in e && e.after ? JSON.stringify(e.after) : null,
        }),
  }));
}

/** The audit query for `cypher/audit/record-events`. */
export function recordEventsQuery(): string {
  return loadQuery('audit/record-events');
}

/**
 * Records `events` inside the caller's transaction `tx`, so the change and its audit record commit
 * together or not at all. Send it last in the transaction: it holds the audit sequence's lock
 * until the commit (cypher/audit/record-events.cypher).
 */
export async function recordInTransaction(tx: ManagedTransaction, events: readonly ChangeEvent[]): Promise<void> {
  if (events.length > 0) await tx.run(recordEventsQuery(), { events: auditRows(events) });
}

/**
 * Runs `change` in one write transaction, then records the audit events it returns in that same
 * transaction. `change` may be retried by the driver (a transient error), so it must not have
 * effects outside the transaction.
 *
 * @example
 * const view = await writeAudited(db, async (tx) => {
 *   const [row] = await txRows(tx, loadQuery('views/delete-view'), { id });
 *   return { result: row, events: adminChange('view', id, ctx, before, null) };
 * });
 */
export async function writeAudited<T>(
  db: Db,
  change: (tx: ManagedTransaction) => Promise<{ result: T; events: readonly ChangeEvent[] }>,
): Promise<T> {
  const session = openSession(db, 'WRITE');
  try {
    return await session.executeWrite(async (tx) => {
      const { result, events } = await change(tx);
      await recordInTransaction(tx, events);
      return result;
    });
  } finally {
    await session.close();
  }
}

/**
 * The listing query for the most selective filter given: one subject's history, then an actor's,
 * a blueprint's or a kind's events (each through its own index), else every event along `at`.
 */
export function listEventsQuery(subject: string | null, filter: { actor?: string; blueprint?: string; kind?: string; subject?: string }): string {
  const by = subject ? 'subject' : filter.actor ? 'actor' : filter.blueprint ? 'blueprint' : filter.kind ? 'kind' : null;
  return loadQuery(by ? `audit/list-events-by-${by}` : 'audit/list-events');
}

/** Reads the audit trail and applies the retention period. */
export interface AuditLog {
  /**
   * Records events in a transaction of their own, after the change committed: what scorecard and
   * action definitions still use. Prefer `writeAudited`/`recordInTransaction`, which commit the
   * record with the change.
   */
  record(events: readonly ChangeEvent[]): Promise<void>;
  list(filter: { kind?: string; subject?: string; blueprint?: string; identifier?: string; actor?: string; since?: string; limit?: number; cursor?: string | null }): Promise<{ events: AuditEvent[]; next: string | null }>;
  /** Deletes events older than `retentionDays`; returns how many. */
  prune(retentionDays: number, now?: Date): Promise<number>;
}

function parse(s: unknown): unknown {
  return typeof s === 'string' ? JSON.parse(s) : null;
}

/** Creates the audit log reader/pruner. */
export function createAuditLog(db: Db): AuditLog {
  return {
    async record(events) {
      if (events.length > 0) await writeRows(db, recordEventsQuery(), { events: auditRows(events) });
    },
    async list(filter) {
      const limit = checkLimit(filter.limit, 100);
      if (filter.since !== undefined && Number.isNaN(Date.parse(filter.since))) throw new BadRequestError('since must be an ISO date-time');
      if (filter.kind !== undefined && !isAuditKind(filter.kind)) throw new BadRequestError(`kind must be one of ${auditKinds.join(', ')}`);
      const [before, beforeId] = filter.cursor ? parseCursor(filter.cursor, 2) : [null, null];
      const subject = filter.subject ?? (filter.blueprint && filter.identifier ? `${filter.blueprint}:${filter.identifier}` : null);
      const rows = await readRows<{ event: Record<string, unknown> }>(db, listEventsQuery(subject, filter), {
        kind: filter.kind ?? null,
        subject,
        blueprint: filter.blueprint ?? null,
        identifier: filter.identifier ?? null,
        actor: filter.actor ?? null,
        lower: filter.since ? new Date(filter.since).toISOString() : '',
        upper: before ?? latestTimestamp,
        beforeId,
        limit: neo4j.int(limit + 1),
      });
      const events = rows.slice(0, limit).map(({ event: e }) => ({ ...(e as unknown as AuditEvent), before: parse(e.before), after: parse(e.after) }));
      const last = events[events.length - 1];
      return { events, next: rows.length > limit && last ? cursorOf([last.at, last.id]) : null };
    },
    async prune(retentionDays, now = new Date()) {
      const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
      let total = 0;
      for (;;) {
        const [row] = await writeRows<{ deleted: number }>(db, loadQuery('audit/prune-events'), { cutoff });
        total += row.deleted;
        if (row.deleted < 10_000) return total;
      }
    },
  };
}
