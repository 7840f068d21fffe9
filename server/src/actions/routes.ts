import {
  type ActionOperation,
  actionOperations,
  type RunEvent,
  type RunStatus,
  terminalStatuses,
} from '@plexus/contract';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { definitionChange, isDryRun } from '../catalog/dry-run.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
import { createRouter, dryRunSchema, operation, z } from '../openapi.ts';
import type { PlexusActions } from './actions-service.ts';
import { type ActionsService } from './types.ts';

const bearer = (c: Context) => /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
const source = (c: Context<AppEnv>) => writeContext(c).source;

function intParam(c: Context, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new BadRequestError(`${name} must be a whole number >= 0, got "${raw}"`);
  return n;
}

/** The body of `POST /actions` and `PUT /actions/{action}` (API.md "Actions and runs"); validate-action.ts checks it. */
const actionInputSchema = z
  .object({
    identifier: z.string(),
    title: z.string(),
    description: z.string().optional(),
    blueprint: z.string().optional(),
    operation: z.enum(actionOperations as unknown as [ActionOperation, ...ActionOperation[]]),
    inputs: z.record(z.string(), z.unknown()).openapi({ description: 'A JSON Schema of the form: properties, required' }),
    invoker: z.object({ type: z.string() }).catchall(z.unknown()).openapi({ description: 'e.g. {"type": "webhook", "url", "secret"}; "********" keeps a stored secret' }),
    approval: z.object({ required: z.boolean() }).catchall(z.unknown()).optional(),
  })
  .catchall(z.unknown())
  .openapi('ActionInput');

/** The body of `POST /actions/{action}/runs`. */
const runRequestSchema = z
  .object({ entity: z.string().nullable().optional().openapi({ description: '"blueprint:identifier"' }), inputs: z.record(z.string(), z.unknown()).optional() })
  .openapi('RunRequest');

/** The body of `PATCH /runs/{run}` (the executor). */
const runReportSchema = z
  .object({ status: z.string().optional(), statusLabel: z.string().optional(), link: z.string().optional(), summary: z.string().optional() })
  .catchall(z.unknown())
  .openapi('RunReport');

/** The body of `POST /runs/{run}/logs` (the executor). */
const runLogSchema = z
  .object({ message: z.string(), level: z.string().optional(), terminationStatus: z.string().optional() })
  .openapi('RunLog');

/** The body of `POST /runs/{run}/approval`. */
const approvalSchema = z.object({ decision: z.enum(['approve', 'decline']), reason: z.string().optional() }).openapi('Approval');

const runToken = {
  401: 'Not a run token',
  403: "Another run's token, or the run has ended",
};

/**
 * The executor's routes, authenticated by the run's own token instead of an API token:
 * `PATCH /api/v1/runs/{run}` and `POST /api/v1/runs/{run}/logs`. Mounted before the API's
 * authentication (a run token is not an API token and grants nothing else).
 */
export function runReportRoutes(deps: { actions: PlexusActions; bodyLimit: number }): OpenAPIHono<AppEnv> {
  const { actions, bodyLimit } = deps;
  const r = createRouter();
  r.openAPIRegistry.register('RunReport', runReportSchema);
  r.openAPIRegistry.register('RunLog', runLogSchema);
  r.openapi(operation('patch', '/api/v1/runs/{run}', { summary: 'Executor: report status, statusLabel, link, summary (Authorization: Bearer <run token>)', tag: 'Actions', body: 'RunReport', responses: { 200: 'The run', ...runToken, 413: 'A field over the size limit' } }), async (c) => {
    const token = bearer(c);
    // The token is checked before the body is read.
    await actions.checkRunToken(token, c.req.param('run'));
    return c.json(await actions.report(token, c.req.param('run'), (await readJson(c, bodyLimit)) as never));
  });
  r.openapi(operation('post', '/api/v1/runs/{run}/logs', { summary: 'Executor: append a log line {message, level?, terminationStatus?} (Authorization: Bearer <run token>)', tag: 'Actions', body: 'RunLog', responses: { 201: 'Appended', ...runToken, 413: "Line too long or the run's log is full" } }), async (c) => {
    const token = bearer(c);
    await actions.checkRunToken(token, c.req.param('run'));
    const run = await actions.appendLog(token, c.req.param('run'), (await readJson(c, bodyLimit)) as never);
    return c.json(run, 201);
  });
  return r;
}

/**
 * `/api/v1/actions` and `/api/v1/runs` (docs/api.md "Actions and runs"): definitions, starting
 * runs, listings, approvals, cancel, re-run, paged logs and the live event stream.
 */
export function actionRoutes(deps: {
  actions: ActionsService;
  jsonLimit: number;
  heartbeatMs?: number;
}): OpenAPIHono<AppEnv> {
  const { actions, jsonLimit } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const r = createRouter();
  r.openAPIRegistry.register('ActionInput', actionInputSchema);
  r.openAPIRegistry.register('RunRequest', runRequestSchema);
  r.openAPIRegistry.register('Approval', approvalSchema);
  const tag = 'Actions';

  r.openapi(operation('get', '/actions', { summary: 'Actions the caller may see; ?entity=blueprint:identifier: those that apply to it and the caller may run; ?blueprint=: its CREATE actions the caller may run', tag, query: { entity: '"blueprint:identifier"', blueprint: 'A blueprint', operation: actionOperations.join(', ') } }), async (c) => {
    const operation = c.req.query('operation') || undefined;
    if (operation !== undefined && !actionOperations.includes(operation as ActionOperation))
      throw new BadRequestError(`operation must be one of ${actionOperations.join(', ')}`);
    const list = await actions.list(c.get('principal'), {
      entity: c.req.query('entity') || undefined,
      blueprint: c.req.query('blueprint') || undefined,
      operation: operation as ActionOperation | undefined,
    });
    return c.json({ actions: list });
  });
  r.openapi(operation('post', '/actions', { summary: 'Create an action (admin, or moderator of its blueprint); secrets are stored encrypted and answered as "********"', tag, body: 'ActionInput', dryRun: true, responses: { 200: { description: 'Dry run: the changes', schema: dryRunSchema }, 201: 'Created', 409: 'Exists', 422: 'Invalid definition' } }), async (c) => {
    const ctx = writeContext(c);
    if (isDryRun(c.req.query('dryRun'))) {
      const planned = await actions.create(c.get('principal'), () => readJson(c, jsonLimit), ctx.source, { dryRun: true, applySet: ctx.applySet });
      return c.json({ dryRun: true, changes: [definitionChange('action', planned.identifier, null, planned as unknown as Record<string, unknown>)] });
    }
    return c.json(await actions.create(c.get('principal'), () => readJson(c, jsonLimit), ctx.source, { applySet: ctx.applySet }), 201);
  });
  r.openapi(operation('get', '/actions/{action}', { summary: 'Read an action (secrets masked)', tag }), async (c) =>
    c.json(await actions.get(c.get('principal'), c.req.param('action'))),
  );
  r.openapi(operation('put', '/actions/{action}', { summary: 'Replace an action; a secret sent as "********" keeps the stored one', tag, body: 'ActionInput', dryRun: true, responses: { 200: 'Saved (or the dry run)', 422: 'Invalid definition' } }), async (c) => {
    const ctx = writeContext(c);
    const id = c.req.param('action');
    if (isDryRun(c.req.query('dryRun'))) {
      const before = await actions.get(c.get('principal'), id);
      const planned = await actions.replace(c.get('principal'), id, () => readJson(c, jsonLimit), ctx.source, { dryRun: true, applySet: ctx.applySet });
      return c.json({ dryRun: true, changes: [definitionChange('action', id, before as unknown as Record<string, unknown>, planned as unknown as Record<string, unknown>)] });
    }
    return c.json(await actions.replace(c.get('principal'), id, () => readJson(c, jsonLimit), ctx.source, { applySet: ctx.applySet }));
  });
  r.openapi(operation('delete', '/actions/{action}', { summary: 'Delete an action (its runs stay)', tag, dryRun: true }), async (c) => {
    if (isDryRun(c.req.query('dryRun'))) {
      await actions.delete(c.get('principal'), c.req.param('action'), source(c), { dryRun: true });
      return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'action', identifier: c.req.param('action') }] });
    }
    await actions.delete(c.get('principal'), c.req.param('action'), source(c));
    return c.json({ deleted: c.req.param('action') });
  });

  r.openapi(operation('post', '/actions/{action}/runs', { summary: 'Run an action: {entity?, inputs}; 400 names the invalid input', tag, body: 'RunRequest', responses: { 201: 'The run (IN_PROGRESS or WAITING_FOR_APPROVAL)', 400: 'Invalid inputs or entity', 403: 'Not allowed to run it' } }), async (c) => {
    const body = await readJson(c, jsonLimit);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new BadRequestError('the body must be {"entity"?: "blueprint:identifier", "inputs": {...}}');
    const { entity, inputs, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length)
      throw new BadRequestError(`unknown field "${unknown[0]}"; a run request has entity and inputs`);
    if (entity !== undefined && entity !== null && typeof entity !== 'string')
      throw new BadRequestError('entity must be "blueprint:identifier"');
    const run = await actions.run(
      c.get('principal'),
      {
        action: c.req.param('action'),
        entity: (entity as string | null | undefined) ?? null,
        inputs: (inputs ?? {}) as Record<string, unknown>,
      },
      source(c),
    );
    return c.json(run, 201);
  });

  r.openapi(operation('get', '/runs', { summary: "Runs the caller may read, newest first; approver=me: runs waiting for the caller's approval", tag, query: { action: 'Only runs of this action', status: 'Only runs in this status', entity: '"blueprint:identifier"', actor: 'Only runs started by this actor', approver: 'me: runs waiting for your approval', limit: 'Page size', cursor: 'The `next` of the previous page' } }), async (c) => {
    const result = await actions.listRuns(c.get('principal'), {
      action: c.req.query('action') || undefined,
      status: (c.req.query('status') || undefined) as RunStatus | undefined,
      entity: c.req.query('entity') || undefined,
      actor: c.req.query('actor') || undefined,
      approver: c.req.query('approver') || undefined,
      limit: intParam(c, 'limit'),
      cursor: c.req.query('cursor') || null,
    });
    return c.json(result);
  });
  r.openapi(operation('get', '/runs/{run}', { summary: 'A run with the first page of its log', tag }), async (c) => c.json(await actions.getRun(c.get('principal'), c.req.param('run'))));
  r.openapi(operation('get', '/runs/{run}/logs', { summary: "A page of the run's log after a line (seq)", tag, query: { after: 'The seq of the last line read', cursor: 'Same as after', limit: 'Lines at most' } }), async (c) =>
    c.json(
      await actions.logs(c.get('principal'), c.req.param('run'), {
        after: intParam(c, 'after') ?? intParam(c, 'cursor'),
        limit: intParam(c, 'limit'),
      }),
    ),
  );
  r.openapi(operation('post', '/runs/{run}/approval', { summary: 'Approve or decline a waiting run {decision, reason?}', tag, body: 'Approval', responses: { 200: 'The run', 403: 'Not an approver, or your own run', 409: 'Not waiting for approval' } }), async (c) => {
    const body = (await readJson(c, jsonLimit)) as { decision?: unknown; reason?: unknown } | null;
    if (!body || (body.decision !== 'approve' && body.decision !== 'decline'))
      throw new BadRequestError('the body must be {"decision": "approve"|"decline", "reason"?: "..."}');
    if (body.reason !== undefined && typeof body.reason !== 'string')
      throw new BadRequestError('reason must be a string');
    return c.json(
      await actions.approve(
        c.get('principal'),
        c.req.param('run'),
        body.decision,
        body.reason as string | undefined,
      ),
    );
  });
  r.openapi(operation('post', '/runs/{run}/cancel', { summary: 'Cancel a waiting or running run (its creator, approvers, admins); the executor is told', tag, responses: { 200: 'The run', 409: 'Already ended' } }), async (c) =>
    c.json(await actions.cancel(c.get('principal'), c.req.param('run'))),
  );
  r.openapi(operation('post', '/runs/{run}/rerun', { summary: 'Run again with the same inputs (secrets included) as a new run', tag, responses: { 201: 'The new run' } }), async (c) =>
    c.json(await actions.rerun(c.get('principal'), c.req.param('run'), source(c)), 201),
  );

  r.openapi(operation('get', '/runs/{run}/events', { summary: 'Server-Sent Events: status changes and log lines; Last-Event-ID resumes; ends after the final status', tag, query: { lastEventId: 'Resume after this event id (or the Last-Event-ID header)' }, responses: { 200: 'text/event-stream' } }), async (c) => {
    const principal = c.get('principal');
    const id = c.req.param('run');
    const raw = c.req.header('last-event-id') ?? c.req.query('lastEventId') ?? '0';
    const lastSeq = Number(raw);
    if (!Number.isInteger(lastSeq) || lastSeq < 0)
      throw new BadRequestError(`Last-Event-ID must be the id of an event of this stream, got "${raw}"`);
    // Checked before the stream starts, so a refusal is an ordinary JSON error.
    await actions.getRun(principal, id);
    return streamSSE(c, async (stream) => {
      let end: () => void = () => {};
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      let writing = Promise.resolve();
      const send = (event: RunEvent) => {
        const seq = event.type === 'log' ? event.line.seq : (event.seq ?? 0);
        writing = writing.then(() =>
          stream.writeSSE({ id: String(seq), event: event.type, data: JSON.stringify(event) }),
        );
        if (event.type === 'status' && terminalStatuses.includes(event.status)) writing.then(end, end);
      };
      const unsubscribe = await actions.subscribe(principal, id, lastSeq, send, () => writing.then(end, end));
      const heartbeat = setInterval(() => {
        writing = writing.then(() => stream.write(': heartbeat\n\n')).then(() => {});
      }, heartbeatMs);
      stream.onAbort(() => end());
      await ended;
      clearInterval(heartbeat);
      unsubscribe();
      await writing.catch(() => {});
    });
  });
  return r;
}
