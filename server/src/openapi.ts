/**
 * The REST contract (shared/API.md) as an OpenAPI 3.1 document generated from the routes
 * themselves: every capability's `routes.ts` declares its operations with `operation()` and
 * registers them on a `createRouter()` app (@hono/zod-openapi), so the document served at
 * `/api/v1/openapi.json` (and listed at `/docs`) is the routes' own description and cannot
 * leave one out. The web client's types (web/src/api/openapi.d.ts) are generated from it.
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import { BadRequestError } from './errors.ts';
import type { AppEnv } from './http.ts';

export { z };

/** The groups of the document (and of `/docs`). */
export type Tag =
  | 'Blueprints'
  | 'Entities'
  | 'Search'
  | 'Administration'
  | 'Sources'
  | 'Scorecards'
  | 'Automations'
  | 'Catalog views'
  | 'Actions';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The error shape of every 4xx/5xx answer (errors.ts `PlexusError.toBody`). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.array(
        z
          .object({
            index: z.number().int().optional(),
            identifier: z.string().optional(),
            path: z.string().optional(),
            message: z.string(),
          })
          .catchall(z.unknown()),
      ),
    }),
  })
  .openapi('Error');

/** The answer of every write endpoint called with `?dryRun=true` (API.md "dry runs"). */
export const dryRunSchema = z
  .object({
    dryRun: z.literal(true),
    changes: z.array(
      z
        .object({
          op: z.enum(['create', 'update', 'delete']),
          kind: z.string(),
          identifier: z.string().optional(),
          fields: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).optional(),
        })
        .catchall(z.unknown()),
    ),
  })
  .catchall(z.unknown())
  .openapi('DryRun');

/** What one operation is: the words of the document and the parameters it takes. */
export interface OperationSpec {
  summary: string;
  tag: Tag;
  /** Query parameters, each with what it means. All optional strings: the handler parses them. */
  query?: Record<string, string>;
  /**
   * The body, as the name of a component schema the router registers (`router.openAPIRegistry
   * .register`). Referenced, not validated here: the handler reads it with `readJson` (byte,
   * depth and array limits while streaming) and the service checks it in detail.
   */
  body?: string;
  /** Also accepts `application/x-ndjson`, one record a line. */
  ndjson?: boolean;
  /** A body that may be left out. */
  optionalBody?: boolean;
  /** Answers other than the errors every operation may give; `{200: 'OK'}` when left out. */
  responses?: Record<number, string | { description: string; schema: z.ZodType }>;
  /** Takes `?dryRun=true`. */
  dryRun?: boolean;
  /** Authenticated otherwise than by an API token (a webhook's signature). */
  noBearer?: boolean;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorContent = { 'application/json': { schema: errorSchema } };

/**
 * One operation as a @hono/zod-openapi route: path parameters (from `{name}` in `path`) and query
 * parameters as zod strings (validated, so a repeated parameter is a 400), the body by
 * reference, and the answers including the error shape. Register it with `router.openapi`.
 * @example router.openapi(operation('get', '/views/{id}', { summary: 'Read a view', tag: 'Catalog views' }), handler)
 */
export function operation<const M extends Method, const P extends string>(
  method: M,
  path: P,
  spec: OperationSpec,
): RouteConfig & { method: M; path: P } {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const query: Record<string, z.ZodOptional<z.ZodString>> = {};
  for (const [name, description] of Object.entries(spec.query ?? {})) query[name] = z.string().optional().openapi({ description });
  if (spec.dryRun) query.dryRun = z.string().optional().openapi({ description: 'true: run every check, write nothing, answer the changes it would make' });
  const responses: RouteConfig['responses'] = {};
  for (const [code, answer] of Object.entries(spec.responses ?? { 200: 'OK' })) {
    const { description, schema } = typeof answer === 'string' ? { description: answer, schema: undefined } : answer;
    if (Number(code) >= 400) responses[code] = { description, content: errorContent };
    else responses[code] = schema ? { description, content: { 'application/json': { schema } } } : { description };
  }
  for (const [code, description] of [
    ['400', 'Malformed request'],
    ['401', 'No or invalid credentials'],
    ['403', 'Not allowed'],
    ['404', 'Unknown'],
  ])
    responses[code] ??= { description, content: errorContent };
  const bodyContent = spec.body
    ? {
        'application/json': { schema: ref(spec.body) },
        ...(spec.ndjson ? { 'application/x-ndjson': { schema: { type: 'string' as const, description: 'One JSON record a line' } } } : {}),
      }
    : undefined;
  return createRoute({
    method,
    path,
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.noBearer ? { security: [] } : {}),
    request: {
      ...(params.length ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) } : {}),
      ...(Object.keys(query).length ? { query: z.object(query) } : {}),
      ...(bodyContent ? { body: { required: !spec.optionalBody, content: bodyContent } } : {}),
    },
    responses,
  }) as RouteConfig & { method: M; path: P };
}

/** Where in the request a zod failure was. */
const targetWords: Record<string, string> = { param: 'path parameter', query: 'query parameter', header: 'header', json: 'body field' };

/**
 * A capability's router: routes registered with `router.openapi(operation(...), handler)` are
 * both served and documented. A path or query parameter zod refuses answers the API's 400
 * (errors.ts), naming the parameter and what to send instead.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const where = targetWords[result.target] ?? result.target;
      const details = result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const repeated = issue.code === 'invalid_type' && result.target === 'query' && /received array/.test(issue.message);
        return { path: `${result.target}/${name}`, message: repeated ? `${where} "${name}" is given more than once; give it once` : `${where} "${name}": ${issue.message}` };
      });
      throw new BadRequestError(details.map((d) => d.message).join('; '), details);
    },
  });
}

/**
 * The OpenAPI 3.1 document of every operation registered on `app` and the routers mounted on it
 * (merged by `app.route`), with the bearer scheme the API uses.
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>): Record<string, unknown> {
  const registered = app.openAPIRegistry.definitions.some((d) => d.type === 'component' && d.name === 'bearer');
  if (!registered) app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Plexus REST API', version: '1', description: 'The catalog, search and administration API. GraphQL lives at /graphql.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
  }) as unknown as Record<string, unknown>;
}

/**
 * `/docs`: a small page listing every operation of the OpenAPI document. Its script and style
 * are served from `/docs/docs.js` and `/docs/docs.css` so the page runs under a CSP without
 * 'unsafe-inline'.
 */
export const docsPage = /* HTML */ `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plexus API</title>
<link rel="stylesheet" href="/docs/docs.css"><script src="/docs/docs.js" defer></script></head>
<body><h1>Plexus REST API</h1><p>Bearer token required (<code>Authorization: Bearer &lt;token&gt;</code>). Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. GraphQL: <code>POST /graphql</code>.</p>
<div id="ops">Loading…</div>
</body></html>`;

/** The style sheet of `/docs`. */
export const docsStyle = `body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1c2330}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #dde}code{background:#f3f4f8;padding:0 .3em;border-radius:3px}
.op{display:flex;gap:.8rem;padding:.35rem 0}.m{font-weight:700;width:4.5rem;text-transform:uppercase}.get{color:#0a7}.post{color:#06c}.put,.patch{color:#b70}.delete{color:#c33}
`;

/** The script of `/docs`: fetches the OpenAPI document and lists its operations by tag (text only, no HTML from the document). */
export const docsScript = `fetch('/api/v1/openapi.json').then((r) => r.json()).then((doc) => {
  const byTag = {};
  for (const [p, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) (byTag[op.tags[0]] ??= []).push({ p, m, op });
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const root = document.getElementById('ops');
  root.textContent = '';
  for (const [tag, list] of Object.entries(byTag)) {
    root.append(el('h2', tag));
    for (const { p, m, op } of list) {
      const row = el('div', undefined, 'op');
      row.append(el('span', m, 'm ' + m), el('code', p), el('span', op.summary));
      root.append(row);
    }
  }
});
`;
