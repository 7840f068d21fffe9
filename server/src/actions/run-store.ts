import { type RunStatus, terminalStatuses, type WriteContext } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import { adminChange, auditRows, recordEventsQuery, writeAudited } from '../audit/audit.ts';
import { type Db, openSession, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';

/** A run as stored in `(:_Run)`: JSON fields as text, secrets sealed. */
export interface RunRow {
  id: string;
  action: string;
  /** The action's blueprint when the run started (who may see it when it has no entity). */
  blueprint: string | null;
  entity: string | null;
  status: RunStatus;
  statusLabel: string | null;
  link: string | null;
  summary: string | null;
  /** JSON of the inputs with secrets masked. */
  inputs: string;
  /** The inputs in clear, sealed: sent to the engine after an approval, re-used by a re-run. */
  sealedInputs: string;
  /** Secret values to redact from whatever the run stores, sealed (JSON list). */
  sealedSecrets: string;
  tokenHash: string | null;
  createdBy: string;
  createdById: string;
  /** JSON of the starting principal (role, teams...) as it was then. */
  principal: string;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  deadlineMs: number | null;
  timeoutMs: number;
  rerunOf: string | null;
  /** JSON of each approval, in order. */
  approvals: string[];
  affected: string[];
  depth: number;
  seq: number;
  logCount: number;
}

/** One stored event of a run: a status change or a log line. */
export interface RunEventRow {
  run: string;
  seq: number;
  type: 'status' | 'log';
  at: string;
  status?: RunStatus;
  statusLabel?: string | null;
  link?: string | null;
  summary?: string | null;
  message?: string;
  level?: 'info' | 'warn' | 'error';
}

const nullable = [
  'blueprint',
  'entity',
  'statusLabel',
  'link',
  'summary',
  'tokenHash',
  'startedAt',
  'endedAt',
  'deadlineMs',
  'rerunOf',
] as const;

function normalise(r: Partial<RunRow>): RunRow {
  const out = { ...r } as RunRow;
  for (const k of nullable) if (out[k] === undefined) (out as unknown as Record<string, unknown>)[k] = null;
  out.approvals ??= [];
  out.affected ??= [];
  out.logCount ??= 0;
  out.depth ??= 0;
  return out;
}

/**
 * What the audit trail records of a run (`kind: run`): enough for automations to react to a status
 * change without reading the run, and no secrets (inputs are masked).
 */
export function runSnapshot(r: RunRow): Record<string, unknown> {
  return {
    id: r.id,
    action: r.action,
    entity: r.entity,
    status: r.status,
    statusLabel: r.statusLabel,
    summary: r.summary,
    link: r.link,
    inputs: JSON.parse(r.inputs || '{}'),
    approvals: r.approvals.map((a) => {
      const { by, decision, reason, at } = JSON.parse(a) as Record<string, unknown>;
      return { by, decision, reason, at };
    }),
    rerunOf: r.rerunOf,
    createdBy: r.createdBy,
    depth: r.depth,
  };
}

/** The queries of runs and their events (cypher/actions/*). */
export interface RunStore {
  /** Stores the run and its `run.created` audit event in one transaction. */
  create(
    row: RunRow,
    entity: { blueprint: string; identifier: string } | null,
    ctx: WriteContext,
  ): Promise<RunRow>;
  get(id: string): Promise<RunRow | null>;
  findByToken(hash: string): Promise<{ id: string; status: RunStatus } | null>;
  /**
   * Applies `patch` if the run's status is one of `from`; null when it was not. A status change is
   * audited (`run.updated`, before/after) in the same transaction, as `ctx`.
   */
  update(
    id: string,
    from: readonly RunStatus[],
    patch: Partial<RunRow>,
    ctx: WriteContext,
  ): Promise<{ run: RunRow; before: RunStatus } | null>;
  /** Appends lines unless the run has ended or would pass `maxLines`; null then. */
  appendLogs(
    id: string,
    lines: { message: string; level: string }[],
    maxLines: number,
  ): Promise<{ run: RunRow; seqs: number[] } | null>;
  /**
   * Appends an approval or decline to a run still waiting for approval; null when it is not. The
   * decision is audited (`run.updated`, approvals before/after) in the same transaction, as `ctx`.
   */
  addApproval(id: string, approval: string, ctx: WriteContext): Promise<RunRow | null>;
  events(id: string, after: number, limit: number, type?: 'log' | 'status'): Promise<RunEventRow[]>;
  list(filter: {
    action?: string;
    status?: string;
    entity?: string;
    actor?: string;
    before?: [string, string] | null;
    limit: number;
  }): Promise<RunRow[]>;
  overdue(nowMs: number): Promise<string[]>;
  /** The latest `limit` runs of each entity (`blueprint:identifier`), newest first, in the order asked. */
  ofEntities(entities: string[], limit: number): Promise<RunRow[][]>;
}

export function createRunStore(db: Db): RunStore {
  const now = () => new Date().toISOString();
  return {
    async create(row, entity, ctx) {
      const session = openSession(db);
      try {
        return await session.executeWrite(async (tx) => {
          const res = await tx.run(loadQuery('actions/create-run'), {
            run: row,
            entityBlueprint: entity?.blueprint ?? null,
            entityIdentifier: entity?.identifier ?? null,
            actorId: row.createdById,
          });
          const r = res.records[0]?.toObject() as { run: RunRow } | undefined;
          if (!r) throw new Error(`action "${row.action}" vanished while its run was being stored`);
          const run = normalise(r.run);
          const events = adminChange('run', run.id, ctx, null, runSnapshot(run), {
            blueprint: run.blueprint,
            at: run.createdAt,
          });
          await tx.run(recordEventsQuery(), { events: auditRows(events) });
          return run;
        });
      } finally {
        await session.close();
      }
    },
    async get(id) {
      const [r] = await readRows<{ run: RunRow }>(db, loadQuery('actions/get-run'), { id });
      return r ? normalise(r.run) : null;
    },
    async findByToken(hash) {
      const [r] = await readRows<{ id: string; status: RunStatus }>(
        db,
        loadQuery('actions/find-run-by-token'),
        { hash },
      );
      return r ?? null;
    },
    async update(id, from, patch, ctx) {
      const session = openSession(db);
      try {
        return await session.executeWrite(async (tx) => {
          const at = now();
          const res = await tx.run(loadQuery('actions/update-run'), { id, from, patch, now: at });
          const r = res.records[0]?.toObject() as { run: RunRow; before: RunStatus } | undefined;
          if (!r) return null;
          const run = normalise(r.run);
          if (r.before !== run.status) {
            const before = { ...runSnapshot(run), status: r.before };
            const events = adminChange('run', run.id, ctx, before, runSnapshot(run), {
              blueprint: run.blueprint,
              at,
            });
            await tx.run(recordEventsQuery(), { events: auditRows(events) });
          }
          return { run, before: r.before };
        });
      } finally {
        await session.close();
      }
    },
    async appendLogs(id, lines, maxLines) {
      const rows = await writeRows<{ run: RunRow; seq: number }>(db, loadQuery('actions/append-log'), {
        id,
        lines,
        maxLines: neo4j.int(maxLines),
        terminal: terminalStatuses,
        now: now(),
      });
      if (rows.length === 0) return null;
      return { run: normalise(rows[rows.length - 1].run), seqs: rows.map((r) => r.seq) };
    },
    async addApproval(id, approval, ctx) {
      return writeAudited(db, async (tx) => {
        const at = now();
        const res = await tx.run(loadQuery('actions/add-approval'), { id, approval, now: at });
        const r = res.records[0]?.toObject() as { run: RunRow } | undefined;
        if (!r) return { result: null, events: [] };
        const run = normalise(r.run);
        const after = runSnapshot(run);
        // The query appends, so the run before it had every approval but the last.
        const before = { ...after, approvals: (after.approvals as unknown[]).slice(0, -1) };
        return { result: run, events: adminChange('run', run.id, ctx, before, after, { blueprint: run.blueprint, at }) };
      });
    },
    async events(id, after, limit, type) {
      const rows = await readRows<{ event: RunEventRow }>(db, loadQuery('actions/list-run-events'), {
        id,
        after: neo4j.int(after),
        limit: neo4j.int(limit),
        type: type ?? null,
      });
      return rows.map((r) => r.event);
    },
    async list(filter) {
      const rows = await readRows<{ run: RunRow }>(db, loadQuery('actions/list-runs'), {
        action: filter.action ?? null,
        status: filter.status ?? null,
        entity: filter.entity ?? null,
        actor: filter.actor ?? null,
        beforeAt: filter.before?.[0] ?? null,
        beforeId: filter.before?.[1] ?? null,
        limit: neo4j.int(filter.limit),
      });
      return rows.map((r) => normalise(r.run));
    },
    async ofEntities(entities, limit) {
      const rows = await readRows<{ entity: string; runs: RunRow[] }>(
        db,
        loadQuery('actions/runs-of-entities'),
        { entities, limit: neo4j.int(limit) },
      );
      const byEntity = new Map(rows.map((r) => [r.entity, r.runs.map(normalise)]));
      return entities.map((e) => byEntity.get(e) ?? []);
    },
    async overdue(nowMs) {
      const rows = await readRows<{ id: string }>(db, loadQuery('actions/overdue-runs'), { nowMs });
      return rows.map((r) => r.id);
    },
  };
}
