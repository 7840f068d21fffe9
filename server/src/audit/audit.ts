import { randomUUID } from 'node:crypto';
import neo4j from 'neo4j-driver';
import type { ChangeEvent } from '../catalog/events.ts';
import { type Db, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError } from '../errors.ts';

/** One audit record as the API returns it. */
export interface AuditEvent {
  id: string;
  at: string;
  type: string;
  actor: string;
  /** Where the change came from: api, ui, cli, graphql, connector:<source>, demo... */
  origin: string;
  runId: string | null;
  blueprint: string | null;
  identifier: string | null;
  before: unknown;
  after: unknown;
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
    actor: e.actor,
    origin: 'source' in e ? e.source : 'api',
    runId: ('runId' in e ? e.runId : null) ?? null,
    blueprint: e.blueprint,
    identifier: 'identifier' in e ? e.identifier : null,
    before: 'before' in e && e.before ? JSON.stringify(e.before) : null,
    after: 'after' in e && e.after ? JSON.stringify(e.after) : null,
  }));
}

/** The audit query for `cypher/audit/record-events`. */
export function recordEventsQuery(): string {
  return loadQuery('audit/record-events');
}

/** Reads the audit trail and applies the retention period. */
export interface AuditLog {
  /** Records events in their own transaction (changes that do not go through the catalog). */
  record(events: readonly ChangeEvent[]): Promise<void>;
  list(filter: { blueprint?: string; identifier?: string; actor?: string; since?: string; limit?: number; cursor?: string | null }): Promise<{ events: AuditEvent[]; next: string | null }>;
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
      const limit = filter.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError('limit must be an integer from 1 to 1000');
      if (filter.since !== undefined && Number.isNaN(Date.parse(filter.since))) throw new BadRequestError('since must be an ISO date-time');
      let before: string | null = null;
      let beforeId: string | null = null;
      if (filter.cursor) {
        try {
          [before, beforeId] = JSON.parse(Buffer.from(filter.cursor, 'base64url').toString('utf8'));
        } catch {
          throw new BadRequestError('cursor is not valid; pass "next" from the previous page');
        }
      }
      const rows = await readRows<{ event: Record<string, unknown> }>(db, loadQuery('audit/list-events'), {
        blueprint: filter.blueprint ?? null,
        identifier: filter.identifier ?? null,
        actor: filter.actor ?? null,
        since: filter.since ? new Date(filter.since).toISOString() : null,
        before,
        beforeId,
        limit: neo4j.int(limit + 1),
      });
      const events = rows.slice(0, limit).map(({ event: e }) => ({ ...(e as unknown as AuditEvent), before: parse(e.before), after: parse(e.after) }));
      const last = events[events.length - 1];
      return { events, next: rows.length > limit && last ? Buffer.from(JSON.stringify([last.at, last.id])).toString('base64url') : null };
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
