import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { auditRoutes } from './audit/routes.ts';
import { authenticate, authRoutes, createOidcVerifier, createRateLimiter } from './auth/index.ts';
import { entityRoutes } from './catalog/routes.ts';
import { readRows } from './db/driver.ts';
import { NotFoundError, PlexusError } from './errors.ts';
import { graphqlRoutes } from './graphql/routes.ts';
import { impactRoutes } from './impact/routes.ts';
import type { AppEnv } from './http.ts';
import { createMetrics } from './metrics.ts';
import { blueprintRoutes } from './model/routes.ts';
import { queryRoutes } from './queries/routes.ts';
import { scorecardRoutes } from './scorecards/index.ts';
import { docsPage, openApiDocument } from './openapi.ts';
import { searchRoutes } from './search/routes.ts';
import type { Services } from './services.ts';
import { sourceRoutes, webhookRoutes } from './sources/index.ts';
import { createViewStore, viewRoutes } from './views/index.ts';

/**
 * Builds the HTTP application. No side effects: tests call `app.request()` in-process and
 * `main.ts` serves it.
 * @example const app = createApp(services); const res = await app.request('/healthz')
 */
export function createApp(services: Services, options: { webDist?: string } = {}): Hono<AppEnv> {
  const { config, logger, tokens, models, catalog, events, schemas, access } = services;
  const app = new Hono<AppEnv>();
  const jsonLimit = config.limits.jsonBodyBytes;
  const oidc = config.auth.oidc
    ? createOidcVerifier(config.auth.oidc, {
        findUser: (id) => services.identities.getUser(id),
        onReject: (reason) => logger.info('jwt rejected', { reason }),
      })
    : null;
  if (oidc) services.identities.onChange(() => oidc.forget());
  const limiter = createRateLimiter(config.auth.rateLimit);

  app.onError((err, c) => {
    if (err instanceof PlexusError) return c.json(err.toBody(), err.status as 400);
    logger.error('request failed', { method: c.req.method, path: c.req.path, err });
    return c.json({ error: { code: 'internal', message: 'internal server error; see the server log', details: [] } }, 500);
  });
  app.notFound((c) => c.json(new NotFoundError(`no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  const metrics = createMetrics(events);
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('access', access);
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    c.header('cross-origin-opener-policy', 'same-origin');
    c.header('cross-origin-resource-policy', 'same-origin');
    c.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    c.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (c.req.path.startsWith('/api/') || c.req.path === '/metrics') {
      // Data, never a page: nothing may run or embed it, and no cache along the way keeps it.
      c.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      c.header('cache-control', 'no-store');
    } else {
      c.header('content-security-policy', "frame-ancestors 'none'");
      if (c.req.path === '/graphql') c.header('cache-control', 'no-store');
    }
    const seconds = (performance.now() - started) / 1000;
    // The matched route pattern, not the path, keeps label cardinality bounded.
    metrics.observeRequest(c.req.method, c.req.routePath ?? 'unknown', c.res.status, seconds);
    if (c.req.path !== '/healthz' && c.req.path !== '/readyz') {
      logger.debug('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) });
    }
  });

  // Cross-origin browsers are refused unless their origin is listed (auth.corsOrigins); a
  // preflight from any other origin gets no Access-Control-Allow-Origin and the browser stops.
  const corsOrigins = new Set(config.auth.corsOrigins);
  const allowOrigin = cors({
    origin: (origin) => (corsOrigins.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['authorization', 'content-type', 'x-plexus-origin'],
    exposeHeaders: ['retry-after'],
    maxAge: 600,
  });
  app.use('/api/*', allowOrigin);
  app.use('/graphql', allowOrigin);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    try {
      await readRows(services.db, 'RETURN 1 AS ok');
      checks.neo4j = 'ok';
    } catch (err) {
      checks.neo4j = `unreachable: ${(err as Error).message}`;
    }
    const built = schemas.current();
    checks.graphql = built ? `ok (model version ${built.version})` : 'building';
    const ready = checks.neo4j === 'ok' && built !== null;
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', (c) =>
    c.text(
      metrics.render({
        plexus_model_version: models.version(),
        plexus_blueprints: models.current().size,
        plexus_graphql_schema_build_seconds: (schemas.current()?.buildMs ?? 0) / 1000,
        plexus_graphql_workers: schemas.workers().length,
        plexus_graphql_worker_heap_bytes_max: Math.max(0, ...schemas.workers().map((w) => w.heapBytes)),
      }),
      200,
      {
        'content-type': 'text/plain; version=0.0.4',
      },
    ),
  );
  // The contract is public (it holds no data); every operation in it needs a token.
  app.get('/api/v1/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/docs', (c) => c.html(docsPage));

  const auth = authenticate({ tokens, oidc, limiter, logger });
  app.use('/api/*', auth);
  app.use('/graphql', auth);
  const api = new Hono<AppEnv>();
  api.route('/', blueprintRoutes({ models, catalog, events, audit: services.audit, jsonLimit }));
  api.route('/', entityRoutes({ catalog, models, access, search: services.search, jsonLimit, ndjsonLimit: config.limits.ndjsonBodyBytes }));
  api.route('/', authRoutes({ tokens, identities: services.identities, audit: services.audit, jsonLimit }));
  api.route('/', searchRoutes({ search: services.search, access, jsonLimit }));
  api.route('/', impactRoutes({ impact: services.impact, access }));
  api.route('/', auditRoutes(services.audit, models));
  api.route('/', viewRoutes({ views: createViewStore({ db: services.db, models }), models, audit: services.audit, jsonLimit }));
  api.route('/', queryRoutes({ queries: services.queries, schemas, audit: services.audit, jsonLimit, database: services.db.database }));
  api.route('/', sourceRoutes(services.sources, services.audit, jsonLimit));
  api.route('/', scorecardRoutes({ scorecards: services.scorecards, scorecardAdmin: services.scorecardAdmin, access, jsonLimit }));
  app.route('/api/v1', api);
  app.route('/', webhookRoutes(services.sources, jsonLimit));
  app.route('/', graphqlRoutes({ schemas, database: services.db.database }));

  const dist = options.webDist ? resolve(options.webDist) : null;
  if (dist && existsSync(join(dist, 'index.html'))) {
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    app.get('*', async (c, next) => {
      if (c.req.path.startsWith('/api/') || c.req.path === '/graphql') return next();
      const file = resolve(dist, `.${c.req.path}`);
      if (file.startsWith(dist) && c.req.path !== '/' && existsSync(file)) {
        const ext = file.split('.').pop() ?? '';
        const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml', png: 'image/png', json: 'application/json', html: 'text/html' };
        return c.body(readFileSync(file), 200, { 'content-type': types[ext] ?? 'application/octet-stream' });
      }
      return c.html(index);
    });
  }
  return app;
}
