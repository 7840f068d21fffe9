import type { EgressPolicy } from '@plexus/connector-sdk';
import {
  type AutomationDefinition,
  type AutomationTrigger,
  compileJsonata,
  type JsonataExpression,
  labelOf,
} from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { Principal } from '../../auth/principal.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import { type Db, openSession, writeRows } from '../../db/driver.ts';
import { createLease, type Lease } from '../../db/lease.ts';
import { cypherName, loadQuery } from '../../db/query-loader.ts';
import type { Logger } from '../../log.ts';
import { deliverSigned } from '../invokers/signed-delivery.ts';
import type { ActionsService } from '../types.ts';
import type { ActiveAutomation, AutomationStore } from './store.ts';

/** An audit event as an automation sees it (`event` in conditions and templates). */
export interface AutomationEvent {
  /** The audit event's id; `expired:<blueprint>:<identifier>:<value>` for property.expired. */
  id: string;
  seq: number;
  type: string;
  kind: string;
  subject: string;
  blueprint: string | null;
  identifier: string | null;
  actor: string;
  origin: string;
  runId: string | null;
  at: string;
  /** `blueprint:identifier` of the entity the event is about (entities, level changes, runs on an entity). */
  entity: string | null;
  /** property.expired: the property and the value that passed. */
  property?: string;
  value?: string;
}

/** One firing: recorded before its side effect, one per (automation, event). */
interface Firing {
  key: string;
  automation: string;
  event: string;
  seq: number;
  depth: number;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cut' | 'skipped' | 'interrupted';
  entity: string | null;
  /** JSON of `{ event, before, after }`. */
  payload: string;
  error?: string | null;
  attempts?: number;
}

/** Where a crash is simulated (tests): the consumer stops dead there, as if the process died. */
export type ConsumerStage = 'recorded' | 'claimed';

export interface AutomationConsumerOptions {
  /** Lease and cursor name; a prefix keeps apart deployments sharing a database (tests). */
  name?: string;
  holder: string;
  /** Polling period; changes on this replica also wake the consumer at once. Default 1000. */
  pollMs?: number;
  /** Lease lifetime without renewal. Default 30 s. */
  leaseTtlMs?: number;
  /** Depth beyond which a chain of automations is cut. Default 3. */
  maxDepth?: number;
  /** How often property.expired triggers are swept. Default 60 s. */
  expirySweepMs?: number;
  /** Events read per page. Default 200. */
  pageSize?: number;
  /** Tests: throw here to simulate a crash at that point. */
  failpoint?: (stage: ConsumerStage, firing: { automation: string; key: string }) => void;
}

export interface AutomationConsumer {
  /** Wakes the consumer now (a change was just written on this replica), unless no automation was enabled at its last pass. */
  nudge(): void;
  /** Runs one pass now (tests): catch up on events, then run pending firings. */
  tick(): Promise<void>;
  /** True while this replica holds the lease (as of the last pass). */
  holding(): boolean;
  /** Stops and releases the lease. */
  stop(): Promise<void>;
  /** Tests: stops dead, as a killed process would: no release, in-flight work abandoned. */
  halt(): void;
}

class Halted extends Error {}

/** The principal an automation's action runs as: its own identity, a member that may only run actions granted to it. */
export function automationPrincipal(identifier: string): Principal {
  const id = `automation:${identifier}`;
  return { id, name: id, kind: 'service', role: 'member', teams: [], moderates: [] };
}

/** Whether an audit event is one the trigger fires on (property.expired is swept, never matched here). */
export function matches(
  trigger: AutomationTrigger,
  e: AutomationEvent,
  before: unknown,
  after: unknown,
): boolean {
  switch (trigger.type) {
    case 'entity.created':
    case 'entity.updated':
    case 'entity.deleted':
      return e.kind === 'entity' && e.type === trigger.type && e.blueprint === trigger.blueprint;
    case 'scorecard.levelChanged':
      return (
        e.type === 'scorecard.levelChanged' &&
        e.subject === trigger.scorecard &&
        (!trigger.blueprint || e.blueprint === trigger.blueprint)
      );
    case 'run.statusChanged': {
      if (e.kind !== 'run') return false;
      const a = after as { status?: string; action?: string } | null;
      const b = before as { status?: string } | null;
      if (!a?.status || a.status === b?.status) return false;
      return (
        (!trigger.action || a.action === trigger.action) &&
        (!trigger.status || (trigger.status as string[]).includes(a.status))
      );
    }
    case 'property.expired':
      return false;
  }
}

/** Whether a trigger could match events of this (kind, type): the cheap pre-filter before snapshots are read. */
function mayMatch(trigger: AutomationTrigger, e: AutomationEvent): boolean {
  if (trigger.type === 'run.statusChanged') return e.kind === 'run';
  if (trigger.type === 'scorecard.levelChanged')
    return e.type === trigger.type && e.subject === trigger.scorecard;
  if (trigger.type === 'property.expired') return false;
  return e.type === trigger.type && e.blueprint === trigger.blueprint;
}

function entityOf(e: AutomationEvent, after: unknown, before: unknown): string | null {
  if ((e.kind === 'entity' || e.type === 'scorecard.levelChanged') && e.blueprint && e.identifier)
    return `${e.blueprint}:${e.identifier}`;
  if (e.kind === 'run') return ((after ?? before) as { entity?: string | null } | null)?.entity ?? null;
  return null;
}

const compiled = new Map<string, JsonataExpression>();
function expression(text: string): JsonataExpression {
  let e = compiled.get(text);
  if (!e) {
    e = compileJsonata(text);
    if (compiled.size > 500) compiled.clear();
    compiled.set(text, e);
  }
  return e;
}

/** Evaluates a JSONata expression over the firing's scope. */
export async function evaluate(text: string, scope: Record<string, unknown>): Promise<unknown> {
  return expression(text).evaluate(scope);
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0 && v.some(truthy);
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

/**
 * The automation consumer: one replica at a time (a lease) walks the audit trail in sequence
 * order from a stored cursor, records a firing for every (automation, event) whose trigger and
 * condition match — in the same transaction that advances the cursor past the page, fenced by
 * the lease — and then runs each recorded firing's side effect (an action run or a signed
 * webhook), marking it running before and done/failed after. See docs/actions.md "Automations"
 * for the exact guarantee.
 */
export function createAutomationConsumer(deps: {
  db: Db;
  store: AutomationStore;
  catalog: Catalog;
  egress: EgressPolicy;
  logger: Logger;
  /** The actions service once wired; action targets fail (reported) without it. */
  actions?: () => Pick<ActionsService, 'run'> | undefined;
  options: AutomationConsumerOptions;
}): AutomationConsumer {
  const { db, store, catalog, egress, logger } = deps;
  const o = deps.options;
  const name = o.name ?? 'automations';
  const pollMs = o.pollMs ?? 1000;
  const ttlMs = o.leaseTtlMs ?? 30_000;
  const maxDepth = o.maxDepth ?? 3;
  const expiryMs = o.expirySweepMs ?? 60_000;
  const pageSize = o.pageSize ?? 200;
  const lease: Lease = createLease(db, { name, holder: o.holder, ttlMs });
  const fence = { lease: name, holder: o.holder };
  const abort = new AbortController();
  let held = false;
  let renewedAt = 0;
  let stopped = false;
  let halted = false;
  let lastSweep = 0;
  let running: Promise<void> | null = null;
  let again = false;
  /**
   * No automation was enabled at the last pass: a change on this replica does not wake the
   * consumer (each pass is four statements, and a busy catalog writes many times a second); the
   * poll moves the cursor, and picks up an automation enabled meanwhile within `pollMs`.
   */
  let idle = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  const check = () => {
    if (halted) throw new Halted('halted');
  };
  const die = () => {
    halted = true;
    if (timer) clearInterval(timer);
    abort.abort();
  };
  /** Tests: a failpoint that throws stops the consumer dead there. */
  const failpoint = (stage: ConsumerStage, f: Firing) => {
    try {
      o.failpoint?.(stage, { automation: f.automation, key: f.key });
    } catch {
      die();
      throw new Halted(`halted at ${stage}`);
    }
  };

  async function ensureLease(): Promise<boolean> {
    // Renewed at most every ttl/3: each pass would otherwise write the lease.
    if (held && Date.now() - renewedAt < ttlMs / 3) return true;
    held = await lease.acquire();
    if (held) renewedAt = Date.now();
    return held;
  }

  /** Reads the next page, records its firings and advances the cursor; false when caught up. */
  async function page(automations: ActiveAutomation[]): Promise<boolean> {
    const [pos] = await writeRows<{ cursor: number; top: number }>(
      db,
      loadQuery('automations/read-position'),
      { cursor: name },
    );
    if (pos.cursor >= pos.top) return false;
    if (automations.length === 0) {
      // Nothing to fire: jump to the end. `top` was read before the automations, so one enabled
      // meanwhile has a sinceSeq past it and misses nothing.
      const moved = await writeRows(db, loadQuery('automations/advance-cursor'), {
        ...fence,
        cursor: name,
        from: pos.cursor,
        to: pos.top,
      });
      if (moved.length === 0) held = false;
      return false;
    }
    const events = await writeRows<AutomationEvent>(db, loadQuery('automations/read-events'), {
      after: pos.cursor,
      limit: neo4j.int(pageSize),
    });
    if (events.length === 0) return false;
    const candidates = events.filter((e) =>
      automations.some((a) => e.seq > a.sinceSeq && mayMatch(a.trigger, e)),
    );
    const snapshots = new Map<number, { before: unknown; after: unknown }>();
    if (candidates.length > 0) {
      const rows = await writeRows<{ seq: number; before: string | null; after: string | null }>(
        db,
        loadQuery('automations/read-snapshots'),
        { seqs: candidates.map((e) => e.seq) },
      );
      for (const r of rows)
        snapshots.set(r.seq, {
          before: r.before ? JSON.parse(r.before) : null,
          after: r.after ? JSON.parse(r.after) : null,
        });
    }
    // Depth: a change made by a run that a firing started is one step deeper than that firing.
    const runIds = [
      ...new Set(
        candidates.map((e) => (e.kind === 'run' ? e.subject : e.runId)).filter((r): r is string => !!r),
      ),
    ];
    const depths = new Map<string, number>();
    if (runIds.length > 0) {
      for (const r of await writeRows<{ runId: string; depth: number }>(
        db,
        loadQuery('automations/run-depths'),
        { runIds },
      ))
        depths.set(r.runId, r.depth);
    }
    const firings: Firing[] = [];
    const conditionErrors = new Map<string, string>();
    for (const e of candidates) {
      const snap = snapshots.get(e.seq) ?? { before: null, after: null };
      const event: AutomationEvent = { ...e, entity: entityOf(e, snap.after, snap.before) };
      for (const a of automations) {
        if (e.seq <= a.sinceSeq || !matches(a.trigger, event, snap.before, snap.after)) continue;
        if (a.condition) {
          try {
            if (!truthy(await evaluate(a.condition.jsonata, { ...snap, event }))) continue;
          } catch (err) {
            conditionErrors.set(
              a.identifier,
              `condition failed on event ${e.id} (${e.type} ${e.subject}): ${(err as Error).message}`,
            );
            continue;
          }
        }
        const parent = depths.get(e.kind === 'run' ? e.subject : (e.runId ?? ''));
        const depth = (parent ?? 0) + 1;
        const cut = depth > maxDepth;
        const error = cut
          ? `loop cut: event ${e.id} (${e.type} ${e.subject}) was made by run ${e.kind === 'run' ? e.subject : e.runId}, itself started by an automation chain ${depth - 1} deep; the limit is ${maxDepth} (PLEXUS_AUTOMATION_MAX_DEPTH)`
          : null;
        if (cut)
          logger.warn('automation loop cut', { automation: a.identifier, event: e.id, depth, maxDepth });
        firings.push({
          key: `${a.identifier}|${e.id}`,
          automation: a.identifier,
          event: e.id,
          seq: e.seq,
          depth,
          state: cut ? 'cut' : 'pending',
          entity: event.entity,
          payload: JSON.stringify({ event, before: snap.before, after: snap.after }),
          error,
        });
      }
    }
    const last = events[events.length - 1].seq;
    check();
    const session = openSession(db, 'WRITE');
    let advanced = false;
    try {
      advanced = await session.executeWrite(async (tx) => {
        const moved = await tx.run(loadQuery('automations/advance-cursor'), {
          ...fence,
          cursor: name,
          from: pos.cursor,
          to: last,
        });
        if (moved.records.length === 0) return false;
        if (firings.length > 0) await tx.run(loadQuery('automations/record-firings'), { firings });
        for (const [identifier, error] of conditionErrors) {
          await tx.run(
            'MATCH (a:_Automation {identifier: $identifier}) SET a.lastError = $error, a.lastErrorAt = timestamp()',
            { identifier, error },
          );
        }
        return true;
      });
    } finally {
      await session.close();
    }
    if (!advanced) {
      held = false;
      return false;
    }
    for (const f of firings) if (f.state === 'pending') failpoint('recorded', f);
    return events.length === pageSize;
  }

  /** property.expired: records a firing per entity whose date passed and has not fired for that value. */
  async function sweep(automations: ActiveAutomation[]): Promise<void> {
    for (const a of automations) {
      if (a.trigger.type !== 'property.expired') continue;
      const { blueprint, property } = a.trigger;
      const prefix = `${a.identifier}|expired:${blueprint}:`;
      let found: { identifier: string; value: string }[];
      try {
        found = await writeRows(db, loadQuery('automations/find-expired', { label: cypherName(labelOf(blueprint)) }), {
          property,
          since: a.sinceAt,
          prefix,
          limit: neo4j.int(pageSize),
        });
      } catch (err) {
        logger.warn('automation expiry sweep failed', { automation: a.identifier, err });
        continue;
      }
      if (found.length === 0) continue;
      const entities = new Map(
        (
          await catalog.getEntities(
            blueprint,
            found.map((f) => f.identifier),
          )
        ).map((e) => [e.identifier, e]),
      );
      const firings: Firing[] = [];
      for (const f of found) {
        const entity = entities.get(f.identifier) ?? null;
        const id = `expired:${blueprint}:${f.identifier}|${f.value}`;
        const event: AutomationEvent = {
          id,
          seq: 0,
          type: 'property.expired',
          kind: 'entity',
          subject: `${blueprint}:${f.identifier}`,
          blueprint,
          identifier: f.identifier,
          actor: `automation:${a.identifier}`,
          origin: 'automation',
          runId: null,
          at: new Date().toISOString(),
          entity: `${blueprint}:${f.identifier}`,
          property,
          value: f.value,
        };
        let state: Firing['state'] = 'pending';
        let error: string | null = null;
        if (a.condition) {
          try {
            if (!truthy(await evaluate(a.condition.jsonata, { before: entity, after: entity, event })))
              state = 'skipped';
          } catch (err) {
            state = 'skipped';
            error = `condition failed on ${id}: ${(err as Error).message}`;
          }
        }
        // The key holds the value: a new date fires again once it passes; the same one never does.
        firings.push({
          key: `${prefix}${f.identifier}|${f.value}`,
          automation: a.identifier,
          event: id,
          seq: 0,
          depth: 1,
          state,
          entity: event.entity,
          payload: JSON.stringify({ event, before: entity, after: entity }),
          error,
        });
      }
      check();
      await writeRows(db, loadQuery('automations/record-expiry-firings'), { ...fence, firings });
    }
  }

  async function finish(
    f: Firing,
    state: Firing['state'],
    result: { error?: string | null; runId?: string | null; status?: number | null },
  ) {
    await writeRows(db, loadQuery('automations/finish-firing'), {
      key: f.key,
      state,
      error: result.error ?? null,
      runId: result.runId ?? null,
      status: result.status ?? null,
    });
  }

  /** Runs the side effect of each recorded firing, oldest first. */
  async function fire(automations: ActiveAutomation[]): Promise<void> {
    const byId = new Map(automations.map((a) => [a.identifier, a]));
    for (;;) {
      const rows = await writeRows<{ firing: Firing }>(db, loadQuery('automations/pending-firings'), {
        limit: neo4j.int(50),
      });
      if (rows.length === 0) return;
      for (const { firing: f } of rows) {
        check();
        const a = byId.get(f.automation);
        if (!a) {
          await finish(f, 'skipped', {
            error: 'the automation was deleted or disabled before its firing ran',
          });
          continue;
        }
        // A firing already started by a holder that died: a webhook is delivered again (same
        // delivery id, receivers deduplicate); an action is not run twice (at most once).
        if (f.state === 'running' && a.target.type === 'action') {
          const settled = await writeRows(db, loadQuery('automations/interrupt-firing'), {
            ...fence,
            key: f.key,
            error: `the replica running this firing stopped before it finished; the action is not run again (at most once). Event ${f.event}`,
          });
          if (settled.length === 0) {
            held = false;
            return;
          }
          continue;
        }
        const claimed = await writeRows(db, loadQuery('automations/claim-firing'), { ...fence, key: f.key });
        if (claimed.length === 0) {
          held = false;
          return;
        }
        failpoint('claimed', f);
        check();
        await run(a, f);
      }
    }
  }

  async function run(a: ActiveAutomation, f: Firing): Promise<void> {
    const scope = JSON.parse(f.payload) as { event: AutomationEvent; before: unknown; after: unknown };
    const automation = { identifier: a.identifier, title: a.title };
    if (a.target.type === 'webhook') {
      const body = JSON.stringify({ automation, delivery: f.key, ...scope });
      const result = await deliverSigned(egress, {
        url: a.target.url,
        body,
        secret: a.target.secret,
        headers: { ...a.target.headers, 'x-plexus-delivery': f.key, 'x-plexus-automation': a.identifier },
        signal: abort.signal,
      });
      check();
      if (result.ok) await finish(f, 'done', { status: result.status });
      else {
        logger.warn('automation webhook failed', {
          automation: a.identifier,
          event: f.event,
          reason: result.reason,
        });
        await finish(f, 'failed', {
          status: result.status,
          error: `webhook: ${result.reason ?? `answered ${result.status}`}`,
        });
      }
      return;
    }
    const target = a.target as Extract<AutomationDefinition['target'], { type: 'action' }>;
    const actions = deps.actions?.();
    if (!actions) {
      await finish(f, 'failed', { error: 'actions are not available on this server' });
      return;
    }
    try {
      const tpl = { ...scope, automation };
      const inputs = target.inputs ? ((await evaluate(target.inputs.jsonata, tpl)) ?? {}) : {};
      if (typeof inputs !== 'object' || Array.isArray(inputs))
        throw new Error('target.inputs must evaluate to an object');
      const entity = target.entity
        ? ((await evaluate(target.entity.jsonata, tpl)) as string | null)
        : (f.entity ?? null);
      const r = await actions.run(
        automationPrincipal(a.identifier),
        {
          action: target.action,
          entity: entity ?? null,
          inputs: inputs as Record<string, unknown>,
          depth: f.depth,
        },
        'automation',
      );
      check();
      await finish(f, 'done', { runId: r.id });
    } catch (err) {
      if (err instanceof Halted) throw err;
      logger.warn('automation action failed', { automation: a.identifier, event: f.event, err });
      await finish(f, 'failed', { error: `action ${target.action}: ${(err as Error).message}` });
    }
  }

  async function pass(): Promise<void> {
    if (stopped || halted) return;
    if (!(await ensureLease())) return;
    const automations = await store.active();
    idle = automations.length === 0;
    check();
    while (await page(automations)) check();
    check();
    if (held && Date.now() - lastSweep >= expiryMs) {
      lastSweep = Date.now();
      await sweep(automations);
    }
    if (held) await fire(automations);
  }

  function wake(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = pass()
      .catch((err) => {
        if (err instanceof Halted) return;
        held = false;
        logger.warn('automation pass failed', { err });
      })
      .finally(() => {
        running = null;
        if (again && !stopped && !halted) {
          again = false;
          void wake();
        }
      });
    return running;
  }

  timer = pollMs > 0 ? setInterval(() => void wake(), pollMs) : null;
  timer?.unref();
  if (pollMs > 0) void wake();

  return {
    nudge: () => {
      if (!idle) void wake();
    },
    async tick() {
      await running;
      await wake();
    },
    holding: () => held,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      abort.abort();
      await running;
      if (held && !halted) await lease.release().catch(() => {});
      held = false;
    },
    halt: die,
  };
}
