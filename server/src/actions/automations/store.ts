import type { AutomationDefinition, WriteContext } from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import { adminChange, auditRows, recordEventsQuery } from '../../audit/audit.ts';
import { type Db, openSession, readRows, writeRows } from '../../db/driver.ts';
import { loadQuery } from '../../db/query-loader.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import type { SecretBox } from '../secrets.ts';
import { type AutomationContext, checkAutomation, maskedSecret } from './validate-automation.ts';

/** What the consumer keeps about an automation besides its definition. */
export interface AutomationStatus {
  /** When a firing last finished its side effect (ISO), null if never. */
  lastFiredAt: string | null;
  /** The last failure (a delivery, a run refused, a condition that threw, a loop cut). */
  lastError: string | null;
  lastErrorAt: string | null;
  /** Firings whose side effect succeeded. */
  firings: number;
}

/** An automation as the API shows it: the definition (secret masked) and its status. */
export type AutomationView = AutomationDefinition & { updatedBy?: string; status: AutomationStatus };

/** An automation as the consumer uses it: secret in clear, plus the audit position it starts after. */
export type ActiveAutomation = AutomationDefinition & { sinceSeq: number; sinceAt: string };

/** Stores automations as `(:_Automation)`; every change audited in its own transaction. */
export interface AutomationStore {
  list(): Promise<AutomationView[]>;
  get(identifier: string): Promise<AutomationView>;
  create(body: unknown, ctx: WriteContext): Promise<AutomationView>;
  replace(identifier: string, body: unknown, ctx: WriteContext): Promise<AutomationView>;
  delete(identifier: string, ctx: WriteContext): Promise<void>;
  /** Enabled automations with their secrets opened (the consumer, every tick). */
  active(): Promise<ActiveAutomation[]>;
  /** Removes finished firings recorded more than `retentionDays` ago (the audit retention); how many. */
  pruneFirings(retentionDays: number, now?: Date): Promise<number>;
}

type Row = Record<string, unknown>;

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

function parse<T>(text: unknown): T | undefined {
  return typeof text === 'string' ? (JSON.parse(text) as T) : undefined;
}

function decode(row: Row, secrets: SecretBox, reveal: boolean): AutomationDefinition {
  const target = parse<AutomationDefinition['target']>(row.target)!;
  if (target.type === 'webhook' && target.secret)
    target.secret = reveal ? secrets.decrypt(target.secret) : maskedSecret;
  const condition = parse<{ jsonata: string }>(row.condition);
  return {
    identifier: row.identifier as string,
    title: row.title as string,
    ...(typeof row.description === 'string' ? { description: row.description } : {}),
    enabled: row.enabled as boolean,
    trigger: parse(row.trigger)!,
    ...(condition ? { condition } : {}),
    target,
    createdAt: row.createdAt as string,
    updatedAt: row.updatedAt as string,
    createdBy: row.createdBy as string,
  };
}

function view(row: Row, secrets: SecretBox): AutomationView {
  return {
    ...decode(row, secrets, false),
    ...(typeof row.updatedBy === 'string' ? { updatedBy: row.updatedBy } : {}),
    status: {
      lastFiredAt: iso(row.lastFiredAt),
      lastError: (row.lastError as string | undefined) ?? null,
      lastErrorAt: iso(row.lastErrorAt),
      firings: (row.firings as number | undefined) ?? 0,
    },
  };
}

/** The audited snapshot: the definition with the secret masked. */
function audited(v: AutomationView | null): object | null {
  if (!v) return null;
  const { status, ...definition } = v;
  return definition;
}

export function createAutomationStore(deps: {
  db: Db;
  secrets: SecretBox;
  context: () => AutomationContext;
}): AutomationStore {
  const { db, secrets } = deps;

  async function getRow(identifier: string): Promise<Row | null> {
    const [row] = await readRows<{ automation: Row }>(db, loadQuery('automations/get-automation'), {
      identifier,
    });
    return row?.automation ?? null;
  }

  async function validate(body: unknown, identifier?: string): Promise<AutomationDefinition> {
    const { definition, details } = await checkAutomation(body, deps.context(), identifier);
    if (!definition)
      throw new ValidationError(
        `the automation is invalid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
        details,
      );
    return definition;
  }

  /** Node properties of a definition (every field present, null removes an optional one). */
  function props(d: AutomationDefinition, sealedSecret: string | null): Row {
    const target =
      d.target.type === 'webhook'
        ? { ...d.target, ...(sealedSecret ? { secret: sealedSecret } : {}) }
        : d.target;
    if (target.type === 'webhook' && !sealedSecret) delete target.secret;
    return {
      identifier: d.identifier,
      title: d.title,
      description: d.description ?? null,
      enabled: d.enabled,
      trigger: JSON.stringify(d.trigger),
      condition: d.condition ? JSON.stringify(d.condition) : null,
      target: JSON.stringify(target),
    };
  }

  /** Runs `work`, then the audit record of the change, in one transaction. */
  async function write(
    work: (
      tx: ManagedTransaction,
    ) => Promise<{ before: AutomationView | null; after: AutomationView | null; since?: string } | null>,
    ctx: WriteContext,
    identifier: string,
  ) {
    const session = openSession(db, 'WRITE');
    try {
      return await session.executeWrite(async (tx) => {
        const change = await work(tx);
        if (!change) return null;
        const events = adminChange(
          'automation',
          identifier,
          ctx,
          audited(change.before),
          audited(change.after),
        );
        if (events.length > 0) await tx.run(recordEventsQuery(), { events: auditRows(events) });
        // After the audit record: the sequence now stands at this change's own event.
        if (change.since) await tx.run(loadQuery('automations/mark-since'), { identifier, at: change.since });
        return change;
      });
    } finally {
      await session.close();
    }
  }

  return {
    async list() {
      const rows = await readRows<{ automation: Row }>(db, loadQuery('automations/list-automations'));
      return rows.map((r) => view(r.automation, secrets));
    },

    async get(identifier) {
      const row = await getRow(identifier);
      if (!row)
        throw new NotFoundError(
          `automation "${identifier}" does not exist; GET /api/v1/automations lists them`,
        );
      return view(row, secrets);
    },

    async create(body, ctx) {
      const d = await validate(body);
      if (d.target.type === 'webhook' && d.target.secret === maskedSecret) {
        throw new ValidationError('the automation is invalid', [
          {
            path: '/target/secret',
            message: `"${maskedSecret}" stands for a stored secret; a new automation needs the secret itself`,
          },
        ]);
      }
      const now = new Date().toISOString();
      const sealed = d.target.type === 'webhook' && d.target.secret ? secrets.encrypt(d.target.secret) : null;
      const change = await write(
        async (tx) => {
          const res = await tx.run(loadQuery('automations/create-automation'), {
            props: {
              ...props(d, sealed),
              createdAt: now,
              updatedAt: now,
              createdBy: ctx.actor,
              updatedBy: ctx.actor,
            },
          });
          const row = res.records[0].toObject() as { created: boolean; automation: Row };
          if (!row.created)
            throw new ConflictError(
              `automation "${d.identifier}" already exists; PUT /api/v1/automations/${d.identifier} replaces it`,
            );
          return { before: null, after: view(row.automation, secrets), since: now };
        },
        ctx,
        d.identifier,
      );
      return change!.after!;
    },

    async replace(identifier, body, ctx) {
      const d = await validate(body, identifier);
      const change = await write(
        async (tx) => {
          const res = await tx.run(loadQuery('automations/get-automation'), { identifier });
          const stored = res.records[0]?.get('automation') as Row | undefined;
          if (!stored)
            throw new NotFoundError(
              `automation "${identifier}" does not exist; POST /api/v1/automations creates it`,
            );
          const before = view(stored, secrets);
          // The masked secret sent back means "keep the stored one" (only for the same URL: a
          // secret is not carried to another receiver).
          let sealed: string | null = null;
          if (d.target.type === 'webhook' && d.target.secret === maskedSecret) {
            const old = parse<AutomationDefinition['target']>(stored.target);
            if (old?.type !== 'webhook' || !old.secret || old.url !== d.target.url) {
              throw new ValidationError('the automation is invalid', [
                {
                  path: '/target/secret',
                  message: `"${maskedSecret}" keeps the stored secret, and there is none for this URL; send the secret itself`,
                },
              ]);
            }
            sealed = old.secret;
          } else if (d.target.type === 'webhook' && d.target.secret)
            sealed = secrets.encrypt(d.target.secret);
          const now = new Date().toISOString();
          const written = await tx.run(loadQuery('automations/replace-automation'), {
            identifier,
            props: { ...props(d, sealed), updatedAt: now, updatedBy: ctx.actor },
          });
          const after = view(written.records[0].get('automation') as Row, secrets);
          // Enabling again: the automation sees changes from now on, not the ones it missed while off.
          return { before, after, ...(d.enabled && !before.enabled ? { since: now } : {}) };
        },
        ctx,
        identifier,
      );
      return change!.after!;
    },

    async delete(identifier, ctx) {
      await write(
        async (tx) => {
          const res = await tx.run(loadQuery('automations/get-automation'), { identifier });
          const stored = res.records[0]?.get('automation') as Row | undefined;
          if (!stored)
            throw new NotFoundError(
              `automation "${identifier}" does not exist; GET /api/v1/automations lists them`,
            );
          await tx.run(loadQuery('automations/delete-automation'), { identifier });
          return { before: view(stored, secrets), after: null };
        },
        ctx,
        identifier,
      );
    },

    async active() {
      // From the leader (a write route): a replica that lags must not hide a new automation.
      const rows = await writeRows<{ automation: Row }>(db, loadQuery('automations/list-automations'));
      return rows
        .filter((r) => r.automation.enabled === true)
        .map((r) => ({
          ...decode(r.automation, secrets, true),
          sinceSeq: (r.automation.sinceSeq as number | undefined) ?? 0,
          sinceAt: (r.automation.sinceAt as string | undefined) ?? (r.automation.createdAt as string),
        }));
    },

    async pruneFirings(retentionDays, now = new Date()) {
      const cutoff = now.getTime() - retentionDays * 86_400_000;
      let total = 0;
      for (;;) {
        const [row] = await writeRows<{ deleted: number }>(db, loadQuery('automations/prune-firings'), { cutoff });
        total += row.deleted;
        if (row.deleted < 10_000) return total;
      }
    },
  };
}
