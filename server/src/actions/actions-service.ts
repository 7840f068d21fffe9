import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EgressPolicy } from '@plexus/connector-sdk';
import {
  type ActionDefinition,
  type Blueprint,
  type Grant,
  type Run,
  type RunApproval,
  type RunEvent,
  type RunLogLine,
  type RunStatus,
  relTypeOf,
  resolveInputs,
  runStatuses,
  type StoredEntity,
  secretInputNames,
  terminalStatuses,
  type WriteContext,
} from '@plexus/contract';
import type { AccessControl } from '../auth/access.ts';
import { access as accessOf, assertCanAdminister, canAdminister, isAdmin } from '../auth/authorize.ts';
import { ownerRelationOf } from '../auth/permissions.ts';
import { type Principal, roleAtLeast } from '../auth/principal.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { ActionsConfig } from '../config.ts';
import { type Db, readRows } from '../db/driver.ts';
import type { JobScheduler, ScheduledJob } from '../db/lease.ts';
import { checkLimit, cursorOf, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  LimitExceededError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { compileSearch } from '../search/rules.ts';
import { type ActionStore, createActionStore, type SealedAction } from './action-store.ts';
import { createInvokers, type InvokerRegistry } from './invokers/index.ts';
import { createRunStore, type RunEventRow, type RunRow } from './run-store.ts';
import { mask, redact, redactValue, type SecretBox } from './secrets.ts';
import {
  type ActionsService,
  type InvocationPayload,
  type InvocationResult,
  type RunReporter,
} from './types.ts';
import { validateAction } from './validate-action.ts';

/** Who may run an action when it says nothing: members and stronger (viewers never run actions). */
export const defaultExecuteGrant: Grant = { roles: ['member'] };
/** Default of an action's `timeoutMs`: one hour. */
export const defaultRunTimeoutMs = 3_600_000;
/** Log lines a run's answer and one page of `GET /runs/{run}/logs` hold by default. */
const logPage = 100;

/** An approval as stored on the run: who, what, and the facts an ALL approval is counted with. */
interface StoredApproval extends RunApproval {
  name: string;
  role: Principal['role'];
  teams: string[];
}

/** Everything the actions service needs. */
export interface ActionsDeps {
  db: Db;
  models: BlueprintStore;
  catalog: Catalog;
  access: AccessControl;
  egress: EgressPolicy;
  logger: Logger;
  config: ActionsConfig;
  box: SecretBox;
  /** Runs the timeout sweep on one replica at a time. */
  jobs?: JobScheduler;
}

export interface ActionsOptions {
  /** How often a live subscriber polls the store for events written by other replicas. */
  pollMs?: number;
  /** Extra or replacement invokers (tests, engines) by type. */
  invokers?: InvokerRegistry;
}

const terminal = (s: RunStatus) => terminalStatuses.includes(s);
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const parseJson = <T>(s: string | null | undefined, fallback: T): T => {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
};

function parseRef(ref: unknown, what: string): { blueprint: string; identifier: string } {
  if (typeof ref !== 'string' || !/^[^:\s]+:.+$/.test(ref))
    throw new BadRequestError(`${what} must be "blueprint:identifier", got ${JSON.stringify(ref)}`);
  const i = ref.indexOf(':');
  return { blueprint: ref.slice(0, i), identifier: ref.slice(i + 1) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The actions service (types.ts `ActionsService`): definitions, runs, approvals, executor reports,
 * live events and the timeout sweep. REST, GraphQL and automations all go through it; it checks
 * permissions with auth/authorize.ts and audits what it changes.
 */
/** The service plus what only this server's wiring uses. */
export interface PlexusActions extends ActionsService {
  /** Ends runs past their deadline as TIMED_OUT (the scheduled sweep; tests call it directly). */
  sweepTimeouts(): Promise<number>;
  /** 401/403 unless `token` may report on run `id` now (checked before a report's body is read). */
  checkRunToken(token: string, id: string): Promise<void>;
  readonly invokers: InvokerRegistry;
}

/** The definition as stored by a save from `applySet` (none: out of any set, whatever the body said). */
function withApplySet(def: ActionDefinition, applySet: string | undefined): ActionDefinition {
  const { applySet: _ignored, ...rest } = def;
  return applySet ? { ...rest, applySet } : rest;
}

export function createActionsService(deps: ActionsDeps, options: ActionsOptions = {}): PlexusActions {
  const { db, models, catalog, access, egress, logger, config, box } = deps;
  const invokers: InvokerRegistry = { ...createInvokers({ catalog, access }), ...options.invokers };
  const actions: ActionStore = createActionStore({ db, box, invokers: () => invokers });
  const runs = createRunStore(db);
  const pollMs = options.pollMs ?? 500;
  const authz = access.options;
  const stopping = new AbortController();
  /** Invocations in flight on this replica, by run: aborted when the run is cancelled or times out. */
  const inflight = new Map<string, AbortController>();
  /** Live subscribers on this replica, by run: woken after every write so they read the store at once. */
  const wakers = new Map<string, Set<() => void>>();
  const statusListeners = new Set<(run: Run, before: RunStatus | null) => void>();
  const secretCache = new Map<string, string[]>();
  let sweepJob: ScheduledJob | null = null;

  const wake = (id: string) => {
    for (const w of wakers.get(id) ?? []) w();
  };

  // ---- views ---------------------------------------------------------------------------------

  const toView = (r: RunRow, logs: RunLogLine[] = []): Run => ({
    id: r.id,
    action: r.action,
    entity: r.entity,
    status: r.status,
    statusLabel: r.statusLabel,
    inputs: parseJson(r.inputs, {}),
    logs,
    link: r.link,
    summary: r.summary,
    affectedEntities: r.affected,
    approvals: r.approvals.map((a) => {
      const { by, decision, reason, at } = parseJson<StoredApproval>(a, {} as StoredApproval);
      return { by, decision, ...(reason ? { reason } : {}), at };
    }),
    rerunOf: r.rerunOf,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    endedAt: r.endedAt,
  });

  const toLine = (e: RunEventRow): RunLogLine => ({
    seq: e.seq,
    at: e.at,
    message: e.message ?? '',
    ...(e.level ? { level: e.level } : {}),
  });
  const toEvent = (e: RunEventRow): RunEvent =>
    e.type === 'log'
      ? { type: 'log', run: e.run, line: toLine(e) }
      : {
          type: 'status',
          run: e.run,
          seq: e.seq,
          status: e.status as RunStatus,
          statusLabel: e.statusLabel ?? null,
          link: e.link ?? null,
          summary: e.summary ?? null,
          at: e.at,
        };

  const announce = (run: RunRow, before: RunStatus | null) => {
    wake(run.id);
    if (before === run.status) return;
    const view = toView(run);
    for (const l of statusListeners) {
      try {
        l(view, before);
      } catch (err) {
        logger.warn('run status listener failed', { err });
      }
    }
  };

  // ---- permissions ---------------------------------------------------------------------------

  /** The action's blueprint with `grant` as its update grant: authorize.ts decides, as for entities. */
  const grantAccess = (p: Principal, action: ActionDefinition, grant: Grant, owners: string[]): boolean => {
    const real = action.blueprint ? models.current().get(action.blueprint) : undefined;
    const base: Blueprint = real ?? {
      identifier: action.blueprint ?? '_actions',
      title: action.title,
      schema: { properties: {} },
    };
    const a = accessOf(p, { ...base, permissions: { ...base.permissions, update: grant } }, 'update', authz);
    return a === 'all' || (a === 'owned' && owners.some((o) => p.teams.includes(o)));
  };
  const executeGrant = (a: ActionDefinition) => a.permissions?.execute ?? defaultExecuteGrant;
  const approveGrant = (a: ActionDefinition): Grant => a.approval?.approvers ?? a.permissions?.approve ?? {};

  async function ownersOf(ref: { blueprint: string; identifier: string } | null): Promise<string[]> {
    if (!ref) return [];
    const bp = models.current().get(ref.blueprint);
    const relation = bp ? ownerRelationOf(bp, authz.ownerRelation) : null;
    if (!relation) return [];
    const [row] = await readRows<{ owners: string[] }>(db, loadQuery('auth/entity-owners'), {
      refs: [{ ...ref, ownerType: relTypeOf(relation) }],
    });
    return row?.owners ?? [];
  }

  const canSeeAction = (p: Principal, a: ActionDefinition) => {
    if (isAdmin(p) || !a.blueprint) return true;
    const scope = access.scope(p);
    return scope.all.includes(a.blueprint) || a.blueprint in scope.owned;
  };

  async function visibleRuns(p: Principal, rows: RunRow[]): Promise<RunRow[]> {
    if (isAdmin(p) || rows.length === 0) return rows;
    const scope = access.scope(p);
    const refs = rows.filter((r) => r.entity).map((r) => ({ ...parseRef(r.entity, 'entity'), id: r.id }));
    const readable = new Set((await access.readableRefs(p, refs)).map((r) => r.id));
    return rows.filter((r) => {
      if (r.createdById === p.id) return true;
      if (r.entity) return readable.has(r.id);
      return !r.blueprint || scope.all.includes(r.blueprint) || r.blueprint in scope.owned;
    });
  }

  /**
   * A page of up to `limit` runs, newest first, that pass `keep` (which filters a batch, keeping
   * its order): reads the store in batches from the cursor, so a page is short only at the end of
   * the list, or when `maxScanned` runs were read without filling it — then `next` continues
   * after the last run read, and the caller asks again.
   */
  async function fillPage(
    query: { action?: string; status?: string; entity?: string; actor?: string },
    before: [string, string] | null,
    limit: number,
    keep: (rows: RunRow[]) => Promise<RunRow[]>,
    maxScanned = 5_000,
  ): Promise<{ rows: RunRow[]; next: string | null }> {
    const out: RunRow[] = [];
    const batch = Math.max(limit * 2, 100);
    let scanned = 0;
    let after = before;
    for (;;) {
      const rows = await runs.list({ ...query, before: after, limit: batch });
      scanned += rows.length;
      const kept = new Set((await keep(rows)).map((r) => r.id));
      for (const r of rows) {
        if (!kept.has(r.id)) continue;
        out.push(r);
        // Full: the next page starts after this run (the rest of the batch is read again then).
        if (out.length === limit) return { rows: out, next: cursorOf([r.createdAt, r.id]) };
      }
      const last = rows[rows.length - 1];
      if (rows.length < batch || !last) return { rows: out, next: null };
      if (scanned >= maxScanned) return { rows: out, next: cursorOf([last.createdAt, last.id]) };
      after = [last.createdAt, last.id];
    }
  }

  async function readableRun(p: Principal, id: string): Promise<RunRow> {
    const row = await runs.get(id);
    if (!row || (await visibleRuns(p, [row])).length === 0)
      throw new NotFoundError(`run "${id}" does not exist; GET /api/v1/runs lists them`);
    return row;
  }

  async function requireAction(p: Principal, identifier: string): Promise<SealedAction> {
    const a = await actions.get(identifier);
    if (!a || !canSeeAction(p, a))
      throw new NotFoundError(`action "${identifier}" does not exist; GET /api/v1/actions lists them`);
    return a;
  }

  /** Which of `identifiers` (entities of the action's blueprint) its condition matches. */
  async function matching(a: ActionDefinition, identifiers: string[]): Promise<Set<string>> {
    if (!a.blueprint || identifiers.length === 0) return new Set();
    const rules: unknown[] = [{ property: 'identifier', operator: 'in', value: identifiers }];
    if (a.condition?.rules?.length)
      rules.unshift({ combinator: a.condition.combinator ?? 'and', rules: a.condition.rules });
    try {
      const compiled = compileSearch(models.current(), {
        blueprint: a.blueprint,
        combinator: 'and',
        rules: rules as never,
        limit: 1000,
      });
      const rows = await readRows<{ props: { identifier: string } }>(db, compiled.query, compiled.params);
      return new Set(rows.map((r) => r.props.identifier));
    } catch (err) {
      // A condition the model no longer supports (a property was removed) matches nothing.
      if (err instanceof ValidationError) {
        logger.warn("an action's condition no longer compiles against its blueprint", {
          action: a.identifier,
          details: err.details,
        });
        return new Set();
      }
      throw err;
    }
  }

  async function readEntity(
    p: Principal,
    ref: { blueprint: string; identifier: string },
  ): Promise<StoredEntity> {
    const missing = () => new NotFoundError(`entity ${ref.blueprint}:${ref.identifier} does not exist`);
    if (!models.current().has(ref.blueprint)) throw missing();
    const entity = await catalog.getEntity(ref.blueprint, ref.identifier).catch((err) => {
      if (err instanceof NotFoundError) throw missing();
      throw err;
    });
    const [visible] = await access.redactEntities(p, [entity]);
    if (!visible) throw missing();
    return visible;
  }

  const userOf = (p: Principal) => ({ id: p.id, name: p.name, role: p.role, teams: p.teams });

  // ---- definitions ---------------------------------------------------------------------------

  async function readDefinition(body: () => Promise<unknown>): Promise<ActionDefinition> {
    const input = await body();
    let model = models.current();
    if (
      isObject(input) &&
      typeof input.blueprint === 'string' &&
      !model.has(input.blueprint) &&
      (await models.refresh())
    )
      model = models.current();
    const details = validateAction(input, model, invokers);
    if (details.length > 0)
      throw new ValidationError(
        `the action is not valid: ${details.length} problem${details.length > 1 ? 's' : ''}`,
        details,
      );
    const { createdAt, updatedAt, createdBy, updatedBy, ...def } = input as unknown as ActionDefinition;
    return def as ActionDefinition;
  }

  const assertMayManage = (p: Principal, blueprint: string | undefined, what: string) => {
    if (blueprint) assertCanAdminister(p, [blueprint], what);
    else if (!isAdmin(p))
      throw new ForbiddenError(
        `${what} needs the admin role (an action without a blueprint belongs to no moderator)`,
      );
  };
  /** Answered before the body is read: only admins and moderators manage actions at all. */
  const assertMayManageSome = (p: Principal, what: string) => {
    if (p.role !== 'admin' && p.moderates.length === 0)
      throw new ForbiddenError(
        `${what} needs the admin role or moderation of the action's blueprint; you have ${p.role}`,
      );
  };

  // ---- runs: reporting and ending --------------------------------------------------------------

  async function secretsOf(row: RunRow): Promise<string[]> {
    let s = secretCache.get(row.id);
    if (!s) {
      s = parseJson<string[]>(row.sealedSecrets ? box.decrypt(row.sealedSecrets) : '[]', []);
      if (secretCache.size > 5000) secretCache.clear();
      secretCache.set(row.id, s);
    }
    return s;
  }

  const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');
  const checkSize = (value: string, field: string) => {
    if (byteLength(value) > config.maxLogLineBytes) {
      throw new LimitExceededError(
        `${field} is longer than ${config.maxLogLineBytes} bytes; split it (PLEXUS_RUN_LOG_LINE_BYTES sets the limit)`,
        [{ path: `/${field}`, message: `longer than ${config.maxLogLineBytes} bytes` }],
      );
    }
  };

  async function appendLines(
    row: RunRow,
    lines: { message: string; level?: RunLogLine['level'] }[],
  ): Promise<RunRow> {
    const secrets = await secretsOf(row);
    const clean = lines.map((l) => ({ message: redact(l.message, secrets), level: l.level ?? 'info' }));
    const done = await runs.appendLogs(row.id, clean, config.maxLogLines);
    if (!done) {
      const now = await runs.get(row.id);
      if (now && terminal(now.status))
        throw new ForbiddenError(`run ${row.id} has ended (${now.status}); it takes no more log lines`);
      throw new LimitExceededError(
        `run ${row.id} already holds ${now?.logCount ?? config.maxLogLines} log lines; the limit is ${config.maxLogLines} (PLEXUS_RUN_MAX_LOG_LINES)`,
      );
    }
    wake(row.id);
    return done.run;
  }

  /** Changes a run if it is in one of `from`; redacts the text fields. Null when it was not. */
  async function transition(
    row: RunRow,
    from: readonly RunStatus[],
    patch: Partial<RunRow>,
    ctx: WriteContext = { actor: 'plexus', source: 'actions', runId: row.id },
  ): Promise<RunRow | null> {
    const secrets = await secretsOf(row);
    const clean: Partial<RunRow> = { ...patch };
    for (const k of ['statusLabel', 'summary', 'link'] as const) {
      const v = clean[k];
      if (typeof v === 'string') clean[k] = redact(v, secrets);
    }
    if (clean.status && terminal(clean.status)) clean.endedAt = new Date().toISOString();
    const done = await runs.update(row.id, from, clean, ctx);
    if (!done) return null;
    announce(done.run, done.before);
    if (clean.status && terminal(clean.status)) release(row.id);
    return done.run;
  }

  /**
   * Tells the invocation of an ended run to stop (a status copy still polling its engine) and
   * forgets it. An invocation that continues after it was accepted keeps its controller until the
   * run ends: here, or, when it ended on another replica, at the invoker's next report (which then
   * finds the run ended).
   */
  function release(id: string): void {
    inflight.get(id)?.abort();
    inflight.delete(id);
  }

  function reporterFor(row: RunRow): RunReporter {
    return {
      async log(message, level) {
        await appendLines(row, [{ message, level }]).catch((err) =>
          logger.debug('run log line dropped', { run: row.id, err }),
        );
      },
      async update(patch) {
        const fields: Partial<RunRow> = {};
        if (patch.status) fields.status = patch.status;
        if (patch.statusLabel !== undefined) fields.statusLabel = patch.statusLabel;
        if (patch.link !== undefined) fields.link = patch.link;
        if (patch.summary !== undefined) fields.summary = patch.summary;
        if (!(await transition(row, ['IN_PROGRESS'], fields))) release(row.id);
      },
    };
  }

  async function payloadOf(row: RunRow, action: ActionDefinition, token: string): Promise<InvocationPayload> {
    let entity: StoredEntity | null = null;
    if (row.entity) {
      const ref = parseRef(row.entity, 'entity');
      entity = await catalog.getEntity(ref.blueprint, ref.identifier).catch(() => null);
    }
    return {
      run: { id: row.id, token, apiUrl: `${config.publicUrl}/api/v1` },
      action: {
        identifier: action.identifier,
        title: action.title,
        operation: action.operation,
        blueprint: action.blueprint ?? null,
      },
      entity,
      inputs: parseJson(box.decrypt(row.sealedInputs), {}),
      trigger: { by: row.createdBy, at: row.createdAt },
    };
  }

  /** Hands an IN_PROGRESS run to its engine; whatever goes wrong ends it FAILURE with the reason. */
  async function invoke(row: RunRow, token: string): Promise<void> {
    const controller = new AbortController();
    inflight.set(row.id, controller);
    const report = reporterFor(row);
    let result: InvocationResult;
    try {
      const sealed = await actions.get(row.action);
      if (!sealed) throw new Error(`action "${row.action}" was deleted before the run could start`);
      const action = actions.reveal(sealed);
      const invoker = invokers[action.invoker.type];
      if (!invoker) throw new Error(`no invoker of type "${action.invoker.type}" on this server`);
      const payload = await payloadOf(row, action, token);
      result = await invoker.invoke({
        payload,
        config: action.invoker,
        egress,
        logger: logger.child({ run: row.id, action: row.action }),
        signal: AbortSignal.any([controller.signal, stopping.signal]),
        report,
        actor: parseJson<Principal>(row.principal, undefined as unknown as Principal),
      });
    } catch (err) {
      result = {
        outcome: 'done',
        status: 'FAILURE',
        summary: `the invocation failed: ${(err as Error).message}`,
      };
    }
    if (result.outcome !== 'accepted' || !result.continues) inflight.delete(row.id);
    // Shutting down: the delivery was cut short, not refused; the run's timeout settles it.
    if (stopping.signal.aborted) return;
    try {
      if (result.outcome === 'accepted') {
        if (result.link || result.statusLabel)
          await transition(row, ['IN_PROGRESS'], {
            ...(result.link ? { link: result.link } : {}),
            ...(result.statusLabel ? { statusLabel: result.statusLabel } : {}),
          });
        return;
      }
      if (result.status === 'FAILURE' && result.summary) await report.log(result.summary, 'error');
      await transition(row, ['IN_PROGRESS'], {
        status: result.status,
        summary: result.summary ?? null,
        ...(result.link ? { link: result.link } : {}),
      });
    } catch (err) {
      logger.warn('could not record the end of an invocation', { run: row.id, err });
    }
  }

  const startInvocation = (row: RunRow, token: string) => {
    setImmediate(() => {
      invoke(row, token).catch((err) => logger.error('invocation crashed', { run: row.id, err }));
    });
  };

  /** A fresh run token and what the run stores about it. */
  const newToken = (timeoutMs: number) => {
    const token = `plxr_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    return {
      token,
      fields: {
        tokenHash: hashToken(token),
        startedAt: new Date(now).toISOString(),
        deadlineMs: now + timeoutMs,
      },
    };
  };

  async function authenticateRun(token: string, id: string): Promise<RunRow> {
    if (!token)
      throw new UnauthorizedError(
        'reporting on a run needs "Authorization: Bearer <run token>" (the token the run was invoked with)',
      );
    const found = await runs.findByToken(hashToken(token));
    if (!found)
      throw new UnauthorizedError('this is not a run token; use the token the run was invoked with');
    if (found.id !== id)
      throw new ForbiddenError(
        `this token belongs to another run; it may only report on that one, not on ${id}`,
      );
    if (terminal(found.status))
      throw new ForbiddenError(`run ${id} has ended (${found.status}); its token no longer reports`);
    const row = await runs.get(id);
    if (!row) throw new UnauthorizedError('this run token names no run');
    return row;
  }

  async function startRun(
    p: Principal,
    request: { action: string; entity?: string | null; inputs: unknown; depth?: number },
    source: string,
    rerunOf: string | null,
  ): Promise<Run> {
    const sealed = await requireAction(p, request.action);
    const action = sealed;
    let ref: { blueprint: string; identifier: string } | null = null;
    if (action.operation === 'CREATE') {
      if (request.entity)
        throw new BadRequestError(`"${action.identifier}" is a CREATE action: it takes no entity`);
    } else {
      if (!request.entity)
        throw new BadRequestError(
          `"${action.identifier}" is a ${action.operation} action: send "entity": "${action.blueprint}:<identifier>"`,
        );
      ref = parseRef(request.entity, 'entity');
      if (ref.blueprint !== action.blueprint)
        throw new BadRequestError(
          `"${action.identifier}" operates on ${action.blueprint} entities, not on ${ref.blueprint}`,
        );
    }
    const entity = ref ? await readEntity(p, ref) : null;
    const owners = await ownersOf(ref);
    if (!grantAccess(p, action, executeGrant(action), owners)) {
      throw new ForbiddenError(
        `you may not run "${action.identifier}"${ref ? ` on ${ref.blueprint}:${ref.identifier}` : ''}: its execute permission does not include you`,
      );
    }
    if (ref && !(await matching(action, [ref.identifier])).has(ref.identifier)) {
      throw new BadRequestError(
        `"${action.identifier}" does not apply to ${ref.blueprint}:${ref.identifier}: the entity does not match the action's condition`,
      );
    }
    const values = request.inputs === undefined ? {} : request.inputs;
    if (!isObject(values))
      throw new BadRequestError('inputs must be an object of input name → value', [
        { path: 'inputs', message: 'must be an object' },
      ]);
    const resolved = await resolveInputs(action.inputs ?? { properties: {} }, values, {
      entity,
      user: userOf(p),
    });
    if (resolved.problems.length === 0)
      resolved.problems.push(...(await checkEntityInputs(p, action, resolved.values)));
    if (resolved.problems.length > 0) {
      const first = resolved.problems[0];
      throw new BadRequestError(
        `invalid inputs: ${first.path}: ${first.message}${resolved.problems.length > 1 ? ` (and ${resolved.problems.length - 1} more)` : ''}`,
        resolved.problems.map((d) => ({ ...d })),
      );
    }
    const secretNames = secretInputNames(action.inputs ?? { properties: {} });
    const secrets = [
      ...secretNames.map((n) => resolved.values[n]).filter((v): v is string => typeof v === 'string'),
      ...actions.secretValues(sealed),
    ];
    const shown = redactValue(
      Object.fromEntries(
        Object.entries(resolved.values).map(([k, v]) => [k, secretNames.includes(k) ? mask : v]),
      ),
      secrets,
    );
    const needsApproval = action.approval?.required === true;
    const timeoutMs = action.timeoutMs ?? defaultRunTimeoutMs;
    const now = new Date().toISOString();
    const started = needsApproval ? null : newToken(timeoutMs);
    const row: RunRow = {
      id: randomUUID(),
      action: action.identifier,
      blueprint: action.blueprint ?? null,
      entity: ref ? `${ref.blueprint}:${ref.identifier}` : null,
      status: needsApproval ? 'WAITING_FOR_APPROVAL' : 'IN_PROGRESS',
      statusLabel: needsApproval ? 'waiting for approval' : null,
      link: null,
      summary: null,
      inputs: JSON.stringify(shown),
      sealedInputs: box.encrypt(JSON.stringify(resolved.values)),
      sealedSecrets: box.encrypt(JSON.stringify(secrets)),
      tokenHash: started?.fields.tokenHash ?? null,
      createdBy: p.name,
      createdById: p.id,
      principal: JSON.stringify(p),
      createdAt: now,
      updatedAt: now,
      startedAt: started?.fields.startedAt ?? null,
      endedAt: null,
      deadlineMs: started?.fields.deadlineMs ?? null,
      timeoutMs,
      rerunOf,
      approvals: [],
      affected: [],
      depth: request.depth ?? 0,
      seq: 1,
      logCount: 0,
    };
    const stored = await runs.create(row, ref, { actor: p.name, source });
    secretCache.set(stored.id, secrets);
    announce(stored, null);
    if (started) startInvocation(stored, started.token);
    return toView(stored);
  }

  /**
   * Entity pickers (`format: entity`): each value must name an entity of the input's blueprint
   * that the caller may read and that matches the input's `dataset` rules.
   */
  async function checkEntityInputs(
    p: Principal,
    action: ActionDefinition,
    values: Record<string, unknown>,
  ): Promise<{ path: string; message: string }[]> {
    const problems: { path: string; message: string }[] = [];
    for (const [name, input] of Object.entries(action.inputs?.properties ?? {})) {
      const isPicker =
        input.format === 'entity' || (input.type === 'array' && input.items?.format === 'entity');
      const blueprint = input.format === 'entity' ? input.blueprint : input.items?.blueprint;
      if (!isPicker || !blueprint || values[name] === undefined) continue;
      const list = (Array.isArray(values[name]) ? values[name] : [values[name]]) as unknown[];
      const identifiers = list.map((v) =>
        typeof v === 'string' && v.startsWith(`${blueprint}:`) ? v.slice(blueprint.length + 1) : v,
      );
      const rules: unknown[] = [{ property: 'identifier', operator: 'in', value: identifiers }];
      if (input.dataset?.rules?.length)
        rules.unshift({ combinator: input.dataset.combinator ?? 'and', rules: input.dataset.rules });
      let found = new Set<string>();
      try {
        const compiled = compileSearch(
          models.current(),
          { blueprint, combinator: 'and', rules: rules as never, limit: 1000 },
          access.scope(p),
        );
        found = new Set(
          (await readRows<{ props: { identifier: string } }>(db, compiled.query, compiled.params)).map(
            (r) => r.props.identifier,
          ),
        );
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
      }
      for (const [i, id] of identifiers.entries()) {
        if (!found.has(String(id)))
          problems.push({
            path: `inputs.${name}${Array.isArray(values[name]) ? `[${i}]` : ''}`,
            message: `${JSON.stringify(list[i])} is not a ${blueprint} entity you may pick here`,
          });
      }
    }
    return problems;
  }

  function allApproved(grant: Grant, approvals: StoredApproval[], owners: string[]): boolean {
    const yes = approvals.filter((a) => a.decision === 'approve');
    const needs: ((a: StoredApproval) => boolean)[] = [];
    for (const u of grant.users ?? []) needs.push((a) => a.by === u);
    for (const t of grant.teams ?? []) needs.push((a) => a.teams.includes(t));
    for (const r of grant.roles ?? []) needs.push((a) => roleAtLeast(a.role, r));
    if (grant.owners) needs.push((a) => a.teams.some((t) => owners.includes(t)));
    if (needs.length === 0) return yes.length > 0;
    return needs.every((need) => yes.some(need));
  }

  async function mayApprove(
    p: Principal,
    action: ActionDefinition,
    row: RunRow,
    owners?: string[],
  ): Promise<boolean> {
    const o = owners ?? (await ownersOf(row.entity ? parseRef(row.entity, 'entity') : null));
    return grantAccess(p, action, approveGrant(action), o);
  }

  const service: PlexusActions = {
    invokers,

    async checkRunToken(token, id) {
      await authenticateRun(token, id);
    },

    async list(p, filter = {}) {
      if (filter.entity) {
        const ref = parseRef(filter.entity, 'entity');
        await readEntity(p, ref);
        const owners = await ownersOf(ref);
        const candidates = (await actions.list(ref.blueprint)).filter(
          (a) =>
            a.operation !== 'CREATE' &&
            (!filter.operation || a.operation === filter.operation) &&
            grantAccess(p, a, executeGrant(a), owners),
        );
        const out: ActionDefinition[] = [];
        for (const a of candidates)
          if ((await matching(a, [ref.identifier])).has(ref.identifier)) out.push(actions.masked(a));
        return out;
      }
      if (filter.blueprint) {
        if (!models.current().has(filter.blueprint))
          throw new NotFoundError(`blueprint "${filter.blueprint}" does not exist`);
        return (await actions.list(filter.blueprint))
          .filter(
            (a) =>
              a.operation === (filter.operation ?? 'CREATE') &&
              canSeeAction(p, a) &&
              grantAccess(p, a, executeGrant(a), []),
          )
          .map((a) => actions.masked(a));
      }
      return (await actions.list())
        .filter((a) => canSeeAction(p, a) && (!filter.operation || a.operation === filter.operation))
        .map((a) => actions.masked(a));
    },

    async get(p, identifier) {
      return actions.masked(await requireAction(p, identifier));
    },

    async create(p, body, source, options = {}) {
      assertMayManageSome(p, 'creating an action');
      const def = await readDefinition(body);
      assertMayManage(p, def.blueprint, `creating action "${def.identifier}"`);
      if (options.dryRun) {
        if (await actions.get(def.identifier))
          throw new ConflictError(`action "${def.identifier}" already exists; PUT /api/v1/actions/${def.identifier} replaces it`, [{ path: '/identifier', message: 'already used' }]);
        return actions.masked(withApplySet(def, options.applySet));
      }
      return actions.masked(await actions.create(withApplySet(def, options.applySet), { actor: p.name, source }));
    },

    async replace(p, identifier, body, source, options = {}) {
      assertMayManageSome(p, 'changing an action');
      const previous = await requireAction(p, identifier);
      assertMayManage(p, previous.blueprint, `changing action "${identifier}"`);
      const def = await readDefinition(async () => {
        const input = await body();
        if (isObject(input) && input.identifier === undefined) return { ...input, identifier };
        return input;
      });
      if (def.identifier !== identifier)
        throw new ValidationError('the action is not valid', [
          {
            path: '/identifier',
            message: `the identifier in the body ("${def.identifier}") differs from the one in the path ("${identifier}"); an action cannot be renamed`,
          },
        ]);
      assertMayManage(p, def.blueprint, `moving action "${identifier}" to another blueprint`);
      if (options.dryRun) {
        const { createdAt, createdBy, updatedAt, updatedBy } = previous;
        return actions.masked({ ...withApplySet(def, options.applySet), createdAt, createdBy, updatedAt, updatedBy });
      }
      return actions.masked(await actions.replace(withApplySet(def, options.applySet), { actor: p.name, source }, previous));
    },

    async delete(p, identifier, source, options = {}) {
      const previous = await requireAction(p, identifier);
      assertMayManage(p, previous.blueprint, `deleting action "${identifier}"`);
      if (options.dryRun) return;
      await actions.delete(previous, { actor: p.name, source });
    },

    run(p, request, source) {
      return startRun(p, request, source, null);
    },

    async listRuns(p, filter) {
      const limit = checkLimit(filter.limit, 50, 500);
      if (filter.status !== undefined && !runStatuses.includes(filter.status))
        throw new BadRequestError(`status must be one of ${runStatuses.join(', ')}`);
      const before = filter.cursor ? (parseCursor(filter.cursor, 2) as [string, string]) : null;
      if (filter.approver !== undefined) {
        if (filter.approver !== 'me')
          throw new BadRequestError('approver only takes "me": the runs waiting for your approval');
        const defs = new Map<string, SealedAction | null>();
        const page = await fillPage(
          { status: 'WAITING_FOR_APPROVAL', action: filter.action, entity: filter.entity },
          before,
          limit,
          async (rows) => {
            const out: RunRow[] = [];
            for (const r of await visibleRuns(p, rows)) {
              if (!defs.has(r.action)) defs.set(r.action, await actions.get(r.action));
              const a = defs.get(r.action);
              if (!a) continue;
              const decided = r.approvals.some(
                (x) => parseJson<StoredApproval>(x, {} as StoredApproval).by === p.id,
              );
              const own = r.createdById === p.id && !isAdmin(p);
              if (!decided && !own && (await mayApprove(p, a, r))) out.push(r);
            }
            return out;
          },
        );
        return { runs: page.rows.map((r) => toView(r)), next: page.next };
      }
      const page = await fillPage(
        { action: filter.action, status: filter.status, entity: filter.entity, actor: filter.actor },
        before,
        limit,
        (rows) => visibleRuns(p, rows),
      );
      return { runs: page.rows.map((r) => toView(r)), next: page.next };
    },

    async getRun(p, id) {
      const row = await readableRun(p, id);
      const logs = await runs.events(id, 0, logPage, 'log');
      return toView(row, logs.map(toLine));
    },

    async runsOf(p, entities, limit) {
      const lists = await runs.ofEntities(entities, limit);
      const visible = new Set((await visibleRuns(p, lists.flat())).map((r) => r.id));
      return lists.map((list) => list.filter((r) => visible.has(r.id)).map((r) => toView(r)));
    },

    async logs(p, id, opts) {
      await readableRun(p, id);
      const after = opts.after ?? 0;
      if (!Number.isInteger(after) || after < 0)
        throw new BadRequestError('after must be a whole number >= 0: the seq of the last line you have');
      const limit = checkLimit(opts.limit, logPage, 1000);
      const rows = await runs.events(id, after, limit, 'log');
      return { logs: rows.map(toLine), next: rows.length === limit ? rows[rows.length - 1].seq : null };
    },

    async approve(p, id, decision, reason) {
      const row = await readableRun(p, id);
      if (decision !== 'approve' && decision !== 'decline')
        throw new BadRequestError('decision must be "approve" or "decline"');
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > 2000))
        throw new BadRequestError('reason must be a string of at most 2000 characters');
      const action = await actions.get(row.action);
      if (!action)
        throw new ConflictError(`action "${row.action}" was deleted; its waiting runs can only be cancelled`);
      const owners = await ownersOf(row.entity ? parseRef(row.entity, 'entity') : null);
      if (!(await mayApprove(p, action, row, owners)))
        throw new ForbiddenError(
          `you may not approve runs of "${row.action}": its approvers do not include you`,
        );
      if (row.createdById === p.id && !isAdmin(p))
        throw new ForbiddenError('you started this run: someone else must approve it (admins excepted)');
      if (row.status !== 'WAITING_FOR_APPROVAL')
        throw new ConflictError(`run ${id} is ${row.status}; only runs waiting for approval take a decision`);
      if (row.approvals.some((a) => parseJson<StoredApproval>(a, {} as StoredApproval).by === p.id))
        throw new ConflictError(`you already decided on run ${id}`);
      const approval: StoredApproval = {
        by: p.id,
        name: p.name,
        decision,
        ...(reason ? { reason: redact(reason, await secretsOf(row)) } : {}),
        at: new Date().toISOString(),
        role: isAdmin(p) ? 'admin' : p.role,
        teams: p.teams,
      };
      const who: WriteContext = { actor: p.name, source: 'api', runId: id };
      const withApproval = await runs.addApproval(id, JSON.stringify(approval), who);
      if (!withApproval) throw new ConflictError(`run ${id} is no longer waiting for approval`);
      let after: RunRow | null = withApproval;
      if (decision === 'decline') {
        after = await transition(
          withApproval,
          ['WAITING_FOR_APPROVAL'],
          {
            status: 'DECLINED',
            statusLabel: 'declined',
            summary: `declined by ${p.name}${reason ? `: ${reason}` : ''}`,
          },
          who,
        );
      } else {
        const approvals = withApproval.approvals.map((a) =>
          parseJson<StoredApproval>(a, {} as StoredApproval),
        );
        const enough =
          (action.approval?.type ?? 'ANY') === 'ANY' || allApproved(approveGrant(action), approvals, owners);
        if (enough) {
          const started = newToken(row.timeoutMs);
          after = await transition(
            withApproval,
            ['WAITING_FOR_APPROVAL'],
            {
              status: 'IN_PROGRESS',
              statusLabel: `approved by ${approvals
                .filter((a) => a.decision === 'approve')
                .map((a) => a.name)
                .join(', ')}`,
              ...started.fields,
            },
            who,
          );
          if (after) startInvocation(after, started.token);
        } else {
          wake(id);
        }
      }
      const final = after ?? (await runs.get(id)) ?? withApproval;
      return toView(final);
    },

    async cancel(p, id) {
      const row = await readableRun(p, id);
      const action = await actions.get(row.action);
      const allowed =
        row.createdById === p.id ||
        isAdmin(p) ||
        (action && (row.blueprint ? canAdminister(p, row.blueprint) : false)) ||
        (action && (await mayApprove(p, action, row)));
      if (!allowed)
        throw new ForbiddenError(
          'cancelling a run is for the person who started it, its approvers and admins',
        );
      if (terminal(row.status)) throw new ConflictError(`run ${id} has already ended (${row.status})`);
      const after = await transition(
        row,
        ['WAITING_FOR_APPROVAL', 'IN_PROGRESS'],
        { status: 'CANCELLED', statusLabel: 'cancelled', summary: `cancelled by ${p.name}` },
        { actor: p.name, source: 'api', runId: id },
      );
      if (!after) throw new ConflictError(`run ${id} ended meanwhile`);
      if (row.status === 'IN_PROGRESS' && action) {
        // Best effort: tell the engine (the token in the payload is already dead).
        const def = actions.reveal(action);
        const invoker = invokers[def.invoker.type];
        if (invoker?.cancel) {
          payloadOf(after, def, '')
            .then((payload) =>
              invoker.cancel?.({
                payload,
                config: def.invoker,
                egress,
                logger,
                signal: stopping.signal,
                report: reporterFor(after),
              }),
            )
            .catch((err) =>
              logger.info('the engine could not be told about a cancelled run', { run: id, err }),
            );
        }
      }
      return toView(after);
    },

    async rerun(p, id, source) {
      const row = await readableRun(p, id);
      const inputs = parseJson<Record<string, unknown>>(box.decrypt(row.sealedInputs), {});
      return startRun(p, { action: row.action, entity: row.entity, inputs }, source, row.id);
    },

    async subscribe(p, id, lastSeq, onEvent, onEnd) {
      await readableRun(p, id);
      let last = Math.max(0, lastSeq);
      let closed = false;
      let pulling = false;
      let again = false;
      const finish = () => {
        if (closed) return;
        close();
        onEnd?.();
      };
      const pull = async () => {
        if (closed) return;
        if (pulling) {
          again = true;
          return;
        }
        pulling = true;
        try {
          do {
            again = false;
            const events = await runs.events(id, last, 500);
            for (const e of events) {
              if (closed) return;
              last = e.seq;
              onEvent(toEvent(e));
              if (e.type === 'status' && terminal(e.status as RunStatus)) return finish();
            }
            if (events.length === 0) {
              // Resumed past the end: nothing more will come.
              const row = await runs.get(id);
              if (!row || (terminal(row.status) && row.seq <= last)) return finish();
            }
          } while (again && !closed);
        } catch (err) {
          logger.debug('run event poll failed', { run: id, err });
        } finally {
          pulling = false;
        }
      };
      const waker = () => void pull();
      const set = wakers.get(id) ?? new Set<() => void>();
      wakers.set(id, set);
      set.add(waker);
      // Events written by other replicas are found by polling the store.
      const timer = setInterval(waker, pollMs);
      timer.unref();
      function close() {
        closed = true;
        clearInterval(timer);
        const s = wakers.get(id);
        s?.delete(waker);
        if (s?.size === 0) wakers.delete(id);
      }
      void pull();
      return close;
    },

    async report(token, id, patch) {
      const row = await authenticateRun(token, id);
      if (!isObject(patch))
        throw new BadRequestError('the body must be {"status"?, "statusLabel"?, "link"?, "summary"?}');
      const fields: Partial<RunRow> = {};
      for (const k of Object.keys(patch))
        if (!['status', 'statusLabel', 'link', 'summary'].includes(k))
          throw new BadRequestError(
            `unknown field "${k}"; a run report has status, statusLabel, link and summary`,
          );
      if (patch.status !== undefined) {
        if (!['IN_PROGRESS', 'SUCCESS', 'FAILURE'].includes(patch.status))
          throw new BadRequestError(
            'status must be IN_PROGRESS, SUCCESS or FAILURE (the executor ends a run with SUCCESS or FAILURE)',
          );
        fields.status = patch.status;
      }
      for (const k of ['statusLabel', 'summary', 'link'] as const) {
        const v = patch[k];
        if (v === undefined) continue;
        if (v !== null && typeof v !== 'string') throw new BadRequestError(`${k} must be a string`);
        if (typeof v === 'string') checkSize(v, k);
        fields[k] = v;
      }
      if (typeof fields.link === 'string' && !/^https?:\/\/\S+$/.test(fields.link))
        throw new BadRequestError('link must be an http(s) URL');
      const after = await transition(row, ['IN_PROGRESS'], fields, {
        actor: `run:${id}`,
        source: 'executor',
        runId: id,
      });
      if (!after) throw new ForbiddenError(`run ${id} has ended; its token no longer reports`);
      return toView(after);
    },

    async appendLog(token, id, body) {
      const row = await authenticateRun(token, id);
      if (!isObject(body) || typeof body.message !== 'string')
        throw new BadRequestError(
          'the body must be {"message": "...", "level"?: "info"|"warn"|"error", "terminationStatus"?: "SUCCESS"|"FAILURE"}',
        );
      const level = (body as { level?: unknown }).level;
      if (level !== undefined && level !== 'info' && level !== 'warn' && level !== 'error')
        throw new BadRequestError('level must be info, warn or error');
      if (
        body.terminationStatus !== undefined &&
        body.terminationStatus !== 'SUCCESS' &&
        body.terminationStatus !== 'FAILURE'
      )
        throw new BadRequestError('terminationStatus must be SUCCESS or FAILURE');
      checkSize(body.message, 'message');
      let after = await appendLines(row, [{ message: body.message, level: level as RunLogLine['level'] }]);
      if (body.terminationStatus) {
        after =
          (await transition(
            after,
            ['IN_PROGRESS'],
            { status: body.terminationStatus },
            { actor: `run:${id}`, source: 'executor', runId: id },
          )) ?? after;
      }
      return toView(after);
    },

    onRunStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },

    async sweepTimeouts() {
      const ids = await runs.overdue(Date.now());
      let ended = 0;
      for (const id of ids) {
        const row = await runs.get(id);
        if (!row || row.status !== 'IN_PROGRESS') continue;
        await appendLines(row, [
          { message: `timed out: no result within ${row.timeoutMs} ms`, level: 'error' },
        ]).catch(() => {});
        if (
          await transition(
            row,
            ['IN_PROGRESS'],
            {
              status: 'TIMED_OUT',
              statusLabel: 'timed out',
              summary: `no result within ${row.timeoutMs} ms of the start`,
            },
            { actor: 'plexus', source: 'timeout', runId: id },
          )
        )
          ended++;
      }
      return ended;
    },

    stop() {
      stopping.abort();
      void sweepJob?.stop();
      for (const set of wakers.values()) set.clear();
    },
  };

  if (deps.jobs && config.timeoutCheckMs > 0)
    sweepJob = deps.jobs.every('action-run-timeouts', config.timeoutCheckMs, () => service.sweepTimeouts());
  return service;
}
