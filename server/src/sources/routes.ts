import { Hono } from 'hono';
import { type AppEnv, readBodyText, readJson, requireRole, writeContext } from '../http.ts';
import type { SourcesService } from './sources-service.ts';

const flag = (v: string | undefined) => v === 'true' || v === '1';

/**
 * `/api/v1/sources`: register, change and remove sources, start syncs and read their runs.
 * Reading needs any token; changes and syncs need the admin role.
 */
export function sourceRoutes(sources: SourcesService, jsonLimit: number): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  r.get('/sources', async (c) => c.json({ sources: await sources.list(), types: sources.connectorTypes() }));

  r.post('/sources', async (c) => {
    const p = requireRole(c, 'admin', 'registering a source');
    return c.json(
      await sources.create(
        await readJson(c, jsonLimit),
        p.name,
        writeContext(c).source as 'api' | 'ui' | 'cli',
      ),
      201,
    );
  });

  r.get('/sources/:source', async (c) => c.json(await sources.get(c.req.param('source'))));

  r.put('/sources/:source', async (c) => {
    const p = requireRole(c, 'admin', 'changing a source');
    return c.json(
      await sources.replace(
        c.req.param('source'),
        await readJson(c, jsonLimit),
        p.name,
        writeContext(c).source as 'api' | 'ui' | 'cli',
      ),
    );
  });

  r.delete('/sources/:source', async (c) => {
    const p = requireRole(c, 'admin', 'deleting a source');
    const source = c.req.param('source');
    const { purged } = await sources.remove(source, p.name, { purge: flag(c.req.query('purge')) });
    return c.json({ deleted: source, purged });
  });

  r.post('/sources/:source/sync', async (c) => {
    const p = requireRole(c, 'admin', 'syncing a source');
    const source = c.req.param('source');
    const run = await sources.sync(source, {
      actor: p.name,
      allowMassDeletion: flag(c.req.query('allowMassDeletion')),
    });
    c.header('location', `/api/v1/sources/${source}/runs/${run.id}`);
    return c.json(
      { run: run.id, status: run.status, links: { run: `/api/v1/sources/${source}/runs/${run.id}` } },
      202,
    );
  });

  r.get('/sources/:source/entities', async (c) =>
    c.json({ entities: await sources.entities(c.req.param('source')) }),
  );

  r.get('/sources/:source/runs', async (c) => {
    const limit = Number(c.req.query('limit') ?? 20);
    return c.json({
      runs: await sources.listRuns(
        c.req.param('source'),
        Number.isInteger(limit) && limit > 0 && limit <= 100 ? limit : 20,
      ),
    });
  });

  r.get('/sources/:source/runs/:run', async (c) =>
    c.json(await sources.getRun(c.req.param('source'), c.req.param('run'))),
  );
  return r;
}

/**
 * `POST /webhooks/{source}`: signed deliveries, outside `/api` (no bearer token; the signature is
 * the credential). 202 with what changed; 401 on a bad signature, with nothing changed.
 */
export function webhookRoutes(sources: SourcesService, jsonLimit: number): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.post('/webhooks/:source', async (c) => {
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
