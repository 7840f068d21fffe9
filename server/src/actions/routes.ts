import {
  type ActionOperation,
  actionOperations,
  type RunEvent,
  type RunStatus,
  terminalStatuses,
} from '@plexus/contract';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { definitionChange, isDryRun } from '../catalog/dry-run.ts';
import { BadRequestError } from '../errors.ts';
import { type AppEnv, readJson, writeContext } from '../http.ts';
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

/**
 * The executor's routes, authenticated by the run's own token instead of an API token:
 * `PATCH /api/v1/runs/{run}` and `POST /api/v1/runs/{run}/logs`. Mounted before the API's
 * authentication (a run token is not an API token and grants nothing else).
 */
export function runReportRoutes(deps: { actions: PlexusActions; bodyLimit: number }): Hono<AppEnv> {
  const { actions, bodyLimit } = deps;
  const r = new Hono<AppEnv>();
  r.patch('/api/v1/runs/:run', async (c) => {
    const token = bearer(c);
    // The token is checked before the body is read.
    await actions.checkRunToken(token, c.req.param('run'));
    return c.json(await actions.report(token, c.req.param('run'), (await readJson(c, bodyLimit)) as never));
  });
  r.post('/api/v1/runs/:run/logs', async (c) => {
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
}): Hono<AppEnv> {
  const { actions, jsonLimit } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const r = new Hono<AppEnv>();

  r.get('/actions', async (c) => {
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
  r.post('/actions', async (c) => {
    const ctx = writeContext(c);
    if (isDryRun(c.req.query('dryRun'))) {
      const planned = await actions.create(c.get('principal'), () => readJson(c, jsonLimit), ctx.source, { dryRun: true, applySet: ctx.applySet });
      return c.json({ dryRun: true, changes: [definitionChange('action', planned.identifier, null, planned as unknown as Record<string, unknown>)] });
    }
    return c.json(await actions.create(c.get('principal'), () => readJson(c, jsonLimit), ctx.source, { applySet: ctx.applySet }), 201);
  });
  r.get('/actions/:action', async (c) =>
    c.json(await actions.get(c.get('principal'), c.req.param('action'))),
  );
  r.put('/actions/:action', async (c) => {
    const ctx = writeContext(c);
    const id = c.req.param('action');
    if (isDryRun(c.req.query('dryRun'))) {
      const before = await actions.get(c.get('principal'), id);
      const planned = await actions.replace(c.get('principal'), id, () => readJson(c, jsonLimit), ctx.source, { dryRun: true, applySet: ctx.applySet });
      return c.json({ dryRun: true, changes: [definitionChange('action', id, before as unknown as Record<string, unknown>, planned as unknown as Record<string, unknown>)] });
    }
    return c.json(await actions.replace(c.get('principal'), id, () => readJson(c, jsonLimit), ctx.source, { applySet: ctx.applySet }));
  });
  r.delete('/actions/:action', async (c) => {
    if (isDryRun(c.req.query('dryRun'))) {
      await actions.delete(c.get('principal'), c.req.param('action'), source(c), { dryRun: true });
      return c.json({ dryRun: true, changes: [{ op: 'delete', kind: 'action', identifier: c.req.param('action') }] });
    }
    await actions.delete(c.get('principal'), c.req.param('action'), source(c));
    return c.json({ deleted: c.req.param('action') });
  });

  r.post('/actions/:action/runs', async (c) => {
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

  r.get('/runs', async (c) => {
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
  r.get('/runs/:run', async (c) => c.json(await actions.getRun(c.get('principal'), c.req.param('run'))));
  r.get('/runs/:run/logs', async (c) =>
    c.json(
      await actions.logs(c.get('principal'), c.req.param('run'), {
        after: intParam(c, 'after') ?? intParam(c, 'cursor'),
        limit: intParam(c, 'limit'),
      }),
    ),
  );
  r.post('/runs/:run/approval', async (c) => {
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
  r.post('/runs/:run/cancel', async (c) =>
    c.json(await actions.cancel(c.get('principal'), c.req.param('run'))),
  );
  r.post('/runs/:run/rerun', async (c) =>
    c.json(await actions.rerun(c.get('principal'), c.req.param('run'), source(c)), 201),
  );

  r.get('/runs/:run/events', async (c) => {
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
