import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isAdmin, type ReadScope } from '../auth/authorize.ts';
import { definitionChange, isDryRun } from '../catalog/dry-run.ts';
import { type AppEnv, readBodyText, readJson, requireRole, writeContext } from '../http.ts';
import { createRouter, dryRunSchema, operation, z } from '../openapi.ts';
import type { SourceRunView, SourcesService, SourceView } from './sources-service.ts';

/** The body of `POST /sources` and `PUT /sources/{source}` (API.md "Sources"); the connector checks `config`. */
const sourceInputSchema = z
  .object({
    identifier: z.string(),
    type: z.string().openapi({ description: 'backstage, github, kubernetes, terraform, pagerduty, http-json, webhook (or another installed connector)' }),
    config: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Secrets are write-only: never answered' }),
    mapping: z.record(z.string(), z.unknown()).optional(),
    schedule: z.string().optional().openapi({ example: '15m' }),
  })
  .catchall(z.unknown())
  .openapi('SourceInput');

/** What a non-admin reads instead of a run's message or an error's text. */
export const redactedRunText = 'details are shown to admins only (they may quote what the source read)';

/**
 * A run as a caller sees it. Messages and per-record errors can quote the files and payloads a
 * source read (a YAML line, a placeholder's target), so only admins get them verbatim; others
 * get the counts, each error's stage, position and field, and its entity only when they may read
 * every entity of its blueprint.
 */
function runFor(run: SourceRunView, admin: boolean, scope: ReadScope): SourceRunView {
  if (admin) return run;
  const out: SourceRunView = { ...run, message: run.message === null ? null : redactedRunText };
  if (run.errorDetails) {
    out.errorDetails = run.errorDetails.map((raw) => {
      const e = (raw ?? {}) as Record<string, unknown>;
      const readable = typeof e.blueprint === 'string' && (scope.unrestricted || scope.all.includes(e.blueprint));
      return {
        stage: e.stage,
        ...(typeof e.position === 'number' ? { position: e.position } : {}),
        ...(typeof e.kind === 'string' ? { kind: e.kind } : {}),
        ...(typeof e.field === 'string' ? { field: e.field } : {}),
        ...(readable ? { blueprint: e.blueprint, ...(typeof e.identifier === 'string' ? { identifier: e.identifier } : {}) } : {}),
        message: redactedRunText,
      };
    });
  }
  return out;
}

const flag = (v: string | undefined) => v === 'true' || v === '1';

/**
 * `/api/v1/sources`: register, change and remove sources, start syncs and read their runs.
 * Reading needs any token; changes and syncs need the admin role. The service audits each change
 * (and each sync started here) in the change's transaction.
 */
export function sourceRoutes(sources: SourcesService, jsonLimit: number): OpenAPIHono<AppEnv> {
  const r = createRouter();
  r.openAPIRegistry.register('SourceInput', sourceInputSchema);
  const tag = 'Sources';

  const seen = (c: Context<AppEnv>) => {
    const p = c.get('principal');
    const admin = isAdmin(p);
    const scope = c.get('access').scope(p);
    return {
      run: (run: SourceRunView) => runFor(run, admin, scope),
      source: (v: SourceView): SourceView => (admin || !v.lastRun ? v : { ...v, lastRun: runFor(v.lastRun, admin, scope) }),
    };
  };

  r.openapi(operation('get', '/sources', { summary: 'List sources (connector configurations) with their last run', tag }), async (c) => {
    const see = seen(c);
    return c.json({ sources: (await sources.list()).map(see.source), types: sources.connectorTypes() });
  });

  r.openapi(operation('post', '/sources', { summary: 'Register a source (admin); secrets are stored as references, never echoed', tag, body: 'SourceInput', dryRun: true, responses: { 200: { description: 'Dry run: the changes', schema: dryRunSchema }, 201: 'Created', 409: 'Exists', 422: 'Invalid configuration' } }), async (c) => {
    requireRole(c, 'admin', 'registering a source');
    const body = await readJson(c, jsonLimit);
    const ctx = writeContext(c);
    if (isDryRun(c.req.query('dryRun'))) {
      const planned = await sources.planSave(null, body, ctx);
      return c.json({ dryRun: true, changes: [definitionChange('source', planned.identifier, planned.before, planned.after)] });
    }
    return c.json(await sources.create(body, ctx), 201);
  });

  r.openapi(operation('get', '/sources/{source}', { summary: 'Read a source and its status', tag }), async (c) => c.json(seen(c).source(await sources.get(c.req.param('source')))));

  r.openapi(operation('put', '/sources/{source}', { summary: "Replace a source's configuration (admin)", tag, body: 'SourceInput', dryRun: true, responses: { 200: 'Saved (or the dry run)', 422: 'Invalid configuration' } }), async (c) => {
    requireRole(c, 'admin', 'changing a source');
    const id = c.req.param('source');
    await sources.get(id);
    const body = await readJson(c, jsonLimit);
    const ctx = writeContext(c);
    if (isDryRun(c.req.query('dryRun'))) {
      const planned = await sources.planSave(id, body, ctx);
      return c.json({ dryRun: true, changes: [definitionChange('source', id, planned.before, planned.after)] });
    }
    return c.json(await sources.replace(id, body, ctx));
  });

  r.openapi(operation('delete', '/sources/{source}', { summary: 'Remove a source; ?purge=true also deletes the entities only it wrote', tag, query: { purge: 'true: also delete the entities only this source wrote' }, dryRun: true }), async (c) => {
    requireRole(c, 'admin', 'deleting a source');
    const source = c.req.param('source');
    await sources.get(source);
    const dryRun = isDryRun(c.req.query('dryRun'));
    const { purged, change } = await sources.remove(source, writeContext(c), { purge: flag(c.req.query('purge')), dryRun });
    if (dryRun) return c.json({ dryRun: true, changes: [definitionChange('source', source, change.before, null)] });
    return c.json({ deleted: source, purged });
  });

  r.openapi(operation('post', '/sources/{source}/sync', { summary: 'Start a reconcile run now (202 with the run)', tag, query: { allowMassDeletion: 'true: let the run delete more than the mass-deletion guard allows' }, responses: { 202: { description: 'Run started', schema: z.object({ run: z.string(), status: z.string(), links: z.object({ run: z.string() }) }) } } }), async (c) => {
    const p = requireRole(c, 'admin', 'syncing a source');
    const source = c.req.param('source');
    const allowMassDeletion = flag(c.req.query('allowMassDeletion'));
    // The start is audited with this request's context and the run id; the run's entity changes
    // with origin connector:<source> and the same run id.
    const run = await sources.sync(source, { actor: p.name, ctx: writeContext(c), allowMassDeletion });
    c.header('location', `/api/v1/sources/${source}/runs/${run.id}`);
    return c.json(
      { run: run.id, status: run.status, links: { run: `/api/v1/sources/${source}/runs/${run.id}` } },
      202,
    );
  });

  // Only what the caller may read: the ledger names entities of every blueprint the source feeds.
  r.openapi(operation('get', '/sources/{source}/entities', { summary: 'Entities a source has written that the caller may read', tag }), async (c) =>
    c.json({ entities: await c.get('access').readableRefs(c.get('principal'), await sources.entities(c.req.param('source'))) }),
  );

  r.openapi(operation('get', '/sources/{source}/runs', { summary: 'Recent runs with counts and errors', tag, query: { limit: 'Runs at most (1-100, default 20)' } }), async (c) => {
    const limit = Number(c.req.query('limit') ?? 20);
    const runs = await sources.listRuns(c.req.param('source'), Number.isInteger(limit) && limit > 0 && limit <= 100 ? limit : 20);
    return c.json({ runs: runs.map(seen(c).run) });
  });

  r.openapi(operation('get', '/sources/{source}/runs/{run}', { summary: 'One run: progress, counts, errors (their messages for admins only: they may quote what the source read)', tag }), async (c) =>
    c.json(seen(c).run(await sources.getRun(c.req.param('source'), c.req.param('run')))),
  );
  return r;
}

/**
 * `POST /webhooks/{source}`: signed deliveries, outside `/api` (no bearer token; the signature is
 * the credential). 202 with what changed; 401 on a bad signature, with nothing changed.
 */
export function webhookRoutes(sources: SourcesService, jsonLimit: number): OpenAPIHono<AppEnv> {
  const r = createRouter();
  const summary = "Deliver a webhook to a source; the signature is verified with the source's secret (no bearer token)";
  r.openapi(operation('post', '/webhooks/{source}', { summary, tag: 'Sources', noBearer: true, responses: { 202: 'Accepted: what changed', 401: 'Bad signature' } }), async (c) => {
    const raw = await readBodyText(c, jsonLimit);
    const result = await sources.handleWebhook(c.req.param('source'), c.req.raw.headers, raw);
    return c.json(
      {
        run: result.runId,
        created: result.created,
        updated: result.updated,
        unchanged: result.unchanged,
        deleted: result.deleted,
        detached: result.detached,
        errors: result.errors,
      },
      202,
    );
  });
  return r;
}
