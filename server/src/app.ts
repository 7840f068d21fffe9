import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { automationRoutes } from './actions/automations/routes.ts';
import { actionRoutes, runReportRoutes } from './actions/index.ts';
import { auditRoutes } from './audit/routes.ts';
import { createConcurrencyLimiter, limitConcurrency } from './auth/concurrency.ts';
import { authenticate, authRoutes, createOidcVerifier, createRateLimiter, safeEqual } from './auth/index.ts';
import { entityRoutes } from './catalog/routes.ts';
import { databaseUnavailable } from './db/driver.ts';
import {
  NotFoundError,
  PlexusError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
} from './errors.ts';
import { graphqlRoutes } from './graphql/routes.ts';
import { homeRoutes } from './home/index.ts';
import type { AppEnv } from './http.ts';
import { impactRoutes } from './impact/routes.ts';
import { createMetrics } from './metrics.ts';
import { blueprintRoutes } from './model/routes.ts';
import { docsPage, docsScript, docsStyle, openApiDocument } from './openapi.ts';
import { queryRoutes } from './queries/routes.ts';
import { scorecardRoutes } from './scorecards/index.ts';
import { searchRoutes } from './search/routes.ts';
import type { Services } from './services.ts';
import { sourceRoutes, webhookRoutes } from './sources/index.ts';
import { createViewStore, viewRoutes } from './views/index.ts';

/**
 * The Content-Security-Policy of the UI and /docs: scripts, style sheets, fonts and fetches from
 * this origin only, images also from data:/blob: URLs (Cytoscape exports), no plugins, frames,
 * base or off-site form targets. Style *attributes* are allowed (`style-src-attr`): Solid's
 * compiled templates carry static `style="…"` attributes; `<style>` elements and inline scripts
 * are not (browsers without `style-src-attr` fall back to `style-src 'self'`).
 */
const pagePolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  styleSrcElem: ["'self'"],
  styleSrcAttr: ["'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

/** Data, never a page (REST, GraphQL, metrics): nothing may run or embed it. */
const dataPolicy = { defaultSrc: ["'none'"], frameAncestors: ["'none'"] };

/** The page CSP as the header says it (what tests compare against). */
export const pageCsp = Object.entries(pagePolicy)
  .map(([k, v]) => `${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v.join(' ')}`)
  .join('; ');

/**
 * The security headers of every answer (Hono's secure-headers), with the CSP of pages or of data.
 * Cross-origin isolation (COEP) stays off: nothing here needs it, and it would refuse images a
 * user's entity links to.
 */
function securityHeaders(policy: typeof pagePolicy | typeof dataPolicy) {
  return secureHeaders({
    contentSecurityPolicy: policy,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    xFrameOptions: 'DENY',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });
}

/** Whether `path` answers data (REST, GraphQL, metrics) rather than a page of the UI or /docs. */
function isData(path: string): boolean {
  return path.startsWith('/api/') || path === '/metrics' || path === '/graphql';
}

/**
 * Builds the HTTP application. No side effects: tests call `app.request()` in-process and
 * `main.ts` serves it.
 * @example const app = createApp(services); const res = await app.request('/healthz')
 */
export function createApp(services: Services, options: { webDist?: string } = {}): Hono<AppEnv> {
  const { config, logger, tokens, models, catalog, events, schemas, access } = services;
  // OpenAPIHono: the routers mounted on it bring their operations into the OpenAPI document.
  const app = new OpenAPIHono<AppEnv>();
  const jsonLimit = config.limits.jsonBodyBytes;
  const oidc = config.auth.oidc
    ? createOidcVerifier(config.auth.oidc, {
        findUser: (id) => services.identities.getUser(id),
        onReject: (reason) => logger.info('jwt rejected', { reason }),
      })
    : null;
  if (oidc) services.identities.onChange(() => oidc.forget());
  const limiter = createRateLimiter(config.auth.rateLimit);
  const failures = createRateLimiter(config.auth.failureLimit);
  const bodyLimits = {
    maxDepth: config.limits.jsonDepth,
    maxArrayLength: config.limits.jsonArrayLength,
    maxLineBytes: config.limits.ndjsonLineBytes,
  };

  app.onError((err, c) => {
    const unavailable = databaseUnavailable(err);
    if (unavailable) {
      logger.warn('request failed: database unavailable', {
        method: c.req.method,
        path: c.req.path,
        reason: (err as Error).message.split('\n')[0],
      });
      c.header('retry-after', String(unavailable.retryAfterSeconds));
      return c.json(unavailable.toBody(), 503);
    }
    if (err instanceof TooManyRequestsError) c.header('retry-after', String(err.retryAfterSeconds));
    if (err instanceof PlexusError) return c.json(err.toBody(), err.status as 400);
    logger.error('request failed', { method: c.req.method, path: c.req.path, err });
    return c.json(
      { error: { code: 'internal', message: 'internal server error; see the server log', details: [] } },
      500,
    );
  });
  app.notFound((c) => c.json(new NotFoundError(`no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  const metrics = createMetrics(events);
  const dataHeaders = securityHeaders(dataPolicy);
  const pageHeaders = securityHeaders(pagePolicy);
  app.use('*', (c, next) => (isData(c.req.path) ? dataHeaders : pageHeaders)(c, next));
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('access', access);
    c.set('bodyLimits', bodyLimits);
    await next();
    // Data, never a page: no cache along the way keeps it.
    if (isData(c.req.path)) c.header('cache-control', 'no-store');
    const seconds = (performance.now() - started) / 1000;
    // The matched route pattern, not the path, keeps label cardinality bounded.
    metrics.observeRequest(c.req.method, c.req.routePath ?? 'unknown', c.res.status, seconds);
    if (c.req.path !== '/healthz' && c.req.path !== '/readyz') {
      logger.debug('request', {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(seconds * 1000),
      });
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
    // Bounded: a dead or hung database makes this answer 503 within a second, not 30 s.
    const down = await services.health.probe(800);
    checks.neo4j = down === null ? 'ok' : `unreachable: ${down}`;
    const built = schemas.current();
    checks.graphql = built ? `ok (model version ${built.version})` : 'building';
    const ready = checks.neo4j === 'ok' && built !== null;
    if (down !== null) c.header('retry-after', '5');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    // With PLEXUS_METRICS_TOKEN set, scrapers must present it (compared in constant time).
    if (config.metricsToken) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
      if (!m || !safeEqual(m[1], config.metricsToken))
        throw new UnauthorizedError('/metrics needs "Authorization: Bearer <PLEXUS_METRICS_TOKEN>"');
    }
    const text = await metrics.render({
      plexus_model_version: models.version(),
      plexus_blueprints: models.current().size,
      plexus_graphql_schema_build_seconds: (schemas.current()?.buildMs ?? 0) / 1000,
      plexus_graphql_workers: schemas.workers().length,
      plexus_graphql_worker_heap_bytes_max: Math.max(0, ...schemas.workers().map((w) => w.heapBytes)),
      plexus_graphql_compiled_requests: schemas.answered().compiled,
      plexus_graphql_library_requests: schemas.answered().library,
    });
    return c.text(text, 200, { 'content-type': metrics.contentType });
  });
  // The contract is public (it holds no data); every operation in it needs a token. Generated
  // from the routes mounted below, once, at the first request (they are all mounted by then).
  let document: Record<string, unknown> | undefined;
  app.get('/api/v1/openapi.json', (c) => c.json((document ??= openApiDocument(app))));
  app.get('/docs', (c) => c.html(docsPage));
  app.get('/docs/docs.js', (c) =>
    c.body(docsScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/docs/docs.css', (c) => c.body(docsStyle, 200, { 'content-type': 'text/css; charset=utf-8' }));

  // While the background probe knows the database is down, answer at once instead of waiting.
  const needsDb = async (_c: unknown, next: () => Promise<void>) => {
    if (!services.health.up())
      throw new ServiceUnavailableError(
        'the database is unavailable (it is being restarted or is unreachable); retry in a few seconds',
      );
    await next();
  };
  app.use('/api/*', needsDb);
  app.use('/graphql', needsDb);
  // Executors report with their run's token, not an API token: these routes come before authentication.
  app.route(
    '/',
    runReportRoutes({
      actions: services.actions,
      bodyLimit: Math.max(64 * 1024, 4 * config.actions.maxLogLineBytes + 4096),
    }),
  );
  const auth = authenticate({ tokens, oidc, limiter, failures, trustProxy: config.trustProxy, logger });
  app.use('/api/*', auth);
  app.use('/graphql', auth);
  // A GraphQL request that must wait for a schema build (a server's first, or a lazy server's)
  // waits before it takes one of its caller's heavy-read slots: waiting holds no database
  // session, and a page's searches and impact reads meanwhile are not refused with 429s.
  app.use('/graphql', async (_c, next) => {
    await schemas.serving();
    await next();
  });
  // Heavy reads hold a database session each: a cap per caller keeps the pool for everyone.
  const heavy = limitConcurrency(
    createConcurrencyLimiter(config.graphqlLimits.maxConcurrent),
    config.graphqlLimits.maxConcurrent,
  );
  for (const path of [
    '/graphql',
    '/api/v1/search',
    '/api/v1/search/*',
    '/api/v1/paths',
    '/api/v1/blueprints/:blueprint/entities/:identifier/impact',
    '/api/v1/queries/:query/run',
  ])
    app.use(path, heavy);
  const api = new OpenAPIHono<AppEnv>();
  api.route('/', blueprintRoutes({ models, catalog, events, jsonLimit }));
  api.route(
    '/',
    entityRoutes({
      catalog,
      models,
      access,
      search: services.search,
      jsonLimit,
      ndjsonLimit: config.limits.ndjsonBodyBytes,
    }),
  );
  api.route('/', authRoutes({ tokens, identities: services.identities, jsonLimit }));
  api.route('/', searchRoutes({ search: services.search, access, jsonLimit }));
  api.route('/', impactRoutes({ impact: services.impact, access }));
  api.route('/', auditRoutes(services.audit, models));
  api.route('/', viewRoutes({ views: createViewStore({ db: services.db, models }), models, jsonLimit }));
  api.route(
    '/',
    queryRoutes({
      queries: services.queries,
      schemas,
      jsonLimit,
      database: services.db.database,
      limits: config.graphqlLimits,
    }),
  );
  api.route('/', sourceRoutes(services.sources, jsonLimit));
  api.route(
    '/',
    actionRoutes({ actions: services.actions, jsonLimit, heartbeatMs: config.actions.heartbeatMs }),
  );
  api.route('/', automationRoutes({ store: services.automations.store, db: services.db, jsonLimit }));
  api.route(
    '/',
    scorecardRoutes({
      scorecards: services.scorecards,
      scorecardAdmin: services.scorecardAdmin,
      access,
      jsonLimit,
    }),
  );
  api.route('/', homeRoutes({ db: services.db, models, access, ownerRelation: config.auth.ownerRelation }));
  app.route('/api/v1', api);
  app.route('/', webhookRoutes(services.sources, jsonLimit));
  app.route(
    '/',
    graphqlRoutes({ schemas, database: services.db.database, jsonLimit, limits: config.graphqlLimits }),
  );

  const dist = options.webDist ? resolve(options.webDist) : null;
  if (dist && existsSync(join(dist, 'index.html'))) {
    // The built UI: files by @hono/node-server's serveStatic (streamed, MIME types, no path
    // outside the folder), every other page path the single-page app's index.
    const index = readFileSync(join(dist, 'index.html'), 'utf8');
    const files = serveStatic({ root: dist });
    app.get('*', (c, next) => (isData(c.req.path) ? next() : files(c, next)));
    app.get('*', (c, next) => (isData(c.req.path) ? next() : c.html(index)));
  }
  return app;
}
