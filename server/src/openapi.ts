/**
 * The REST contract (shared/API.md) as an OpenAPI 3.1 document, served at
 * `/api/v1/openapi.json` and browsable at `/docs`. Kept as data beside the routes it describes.
 */
type Op = { summary: string; tags: string[]; body?: string; query?: string[]; responses?: Record<string, string> };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const err = { description: 'Error', content: { 'application/json': { schema: ref('Error') } } };

const routes: Record<string, Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', Op>>> = {
  '/blueprints': {
    get: { summary: 'List blueprints', tags: ['Blueprints'] },
    post: { summary: 'Create a blueprint (admin)', tags: ['Blueprints'], body: 'Blueprint', responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid definition' } },
  },
  '/blueprints/{blueprint}': {
    get: { summary: 'Read a blueprint', tags: ['Blueprints'] },
    put: { summary: 'Replace a blueprint; destructive changes need ?force=true', tags: ['Blueprints'], body: 'Blueprint', query: ['force'] },
    patch: { summary: 'Change a blueprint with a JSON merge patch', tags: ['Blueprints'], body: 'Blueprint', query: ['force'] },
    delete: { summary: 'Delete a blueprint; with entities only with ?force=true', tags: ['Blueprints'], query: ['force'] },
  },
  '/packs': { get: { summary: 'List the shipped blueprint packs', tags: ['Blueprints'] } },
  '/packs/{pack}': { post: { summary: 'Load a blueprint pack (admin)', tags: ['Blueprints'], query: ['force'] } },
  '/blueprints/{blueprint}/entities': {
    get: { summary: 'Page through entities', tags: ['Entities'], query: ['limit', 'cursor'] },
    post: { summary: 'Upsert one entity (201 created, 200 updated)', tags: ['Entities'], body: 'Entity', query: ['merge', 'runId'] },
  },
  '/blueprints/{blueprint}/entities/{identifier}': {
    get: { summary: 'Read an entity', tags: ['Entities'] },
    delete: { summary: 'Delete an entity and its relationships', tags: ['Entities'] },
  },
  '/entities/bulk': {
    post: {
      summary: 'Upsert many entities (JSON {entities} or application/x-ndjson); an invalid record fails the whole request',
      tags: ['Entities'],
      body: 'BulkRequest',
      query: ['merge', 'runId'],
      responses: {
        '200': 'Every entity is stored: {upserted, created, updated, unchanged}',
        '422': 'Invalid records; nothing was written',
        '503':
          'The database became unavailable (or the server is shutting down) part-way. A request larger than the batch size (PLEXUS_BATCH_SIZE) is written one transaction per batch, so some batches may have committed: ' +
          'the body is the error shape plus `committed` (every entity stored by this request, [{index, blueprint, identifier, status}]), `committedCount` and `notCommittedCount`; `Retry-After` says when to retry. ' +
          'Retrying the whole request is safe: entities already stored are unchanged no-ops. (If the connection broke during a commit itself, that batch may be stored although not listed; the retry settles it.)',
      },
    },
  },
  '/search': {
    get: { summary: 'Full-text search', tags: ['Search'], query: ['q', 'blueprint', 'limit'] },
    post: { summary: 'Structured search (rules)', tags: ['Search'], body: 'SearchRequest' },
  },
  '/search/aggregate': {
    post: { summary: 'Group a search or a blast radius by blueprint, property or related entity, with count/sum/min/max/avg', tags: ['Search'], body: 'AggregateRequest', responses: { '400': 'Unknown property, relation, metric or sort' } },
  },
  '/blueprints/{blueprint}/entities/{identifier}/impact': {
    get: { summary: 'Impact / blast radius; include=owners,members,oncall adds the people', tags: ['Search'], query: ['direction', 'relations', 'depth', 'limit', 'include'] },
  },
  '/paths': { get: { summary: 'Shortest paths between two entities', tags: ['Search'], query: ['from', 'to', 'relations', 'depth', 'limit'] } },
  '/tokens': {
    get: { summary: 'List API tokens (admin)', tags: ['Administration'] },
    post: { summary: 'Create an API token; the secret is shown once (admin)', tags: ['Administration'] },
  },
  '/tokens/{id}': { delete: { summary: 'Revoke a token (admin, or the owner of a personal token)', tags: ['Administration'] } },
  '/users': {
    get: { summary: 'List users (admin)', tags: ['Administration'] },
    post: { summary: 'Create a user (admin)', tags: ['Administration'], responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid user' } },
  },
  '/users/me': { get: { summary: 'The caller: identity, role, teams and what it may do', tags: ['Administration'] } },
  '/me/summary': { get: { summary: "The caller's home page: their teams, what they own, recent changes, scorecard levels, failing rules, open incidents and vulnerabilities (over what the caller may read)", tags: ['Search'] } },
  '/users/{id}': {
    get: { summary: 'Read a user (admin)', tags: ['Administration'] },
    patch: { summary: 'Change a user\'s role, teams or name (admin)', tags: ['Administration'] },
    delete: { summary: 'Delete a user and revoke their tokens (admin)', tags: ['Administration'] },
  },
  '/teams': {
    get: { summary: 'List teams', tags: ['Administration'] },
    post: { summary: 'Create a team (admin)', tags: ['Administration'], responses: { '201': 'Created', '409': 'Exists' } },
  },
  '/teams/{identifier}': {
    put: { summary: 'Replace a team\'s members (admin)', tags: ['Administration'] },
    delete: { summary: 'Delete a team (admin)', tags: ['Administration'] },
  },
  '/audit': {
    get: {
      summary:
        'Audit trail of every write (actor, origin, before/after), newest first, limited to what the caller may read (user, team and token events: admins only; relation values naming entities the caller may not read are removed from before/after). kind: entity|blueprint|scorecard|source|user|team|token|query|view|action|automation|run; subject: its identifier (blueprint:identifier for entities, the id of a run)',
      tags: ['Administration'],
      query: ['kind', 'subject', 'blueprint', 'entity', 'actor', 'since', 'limit', 'cursor'],
    },
  },
  '/sources': {
    get: { summary: 'List sources (connector configurations) with their last run', tags: ['Sources'] },
    post: { summary: 'Register a source (admin); secrets are stored as references, never echoed', tags: ['Sources'], responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid configuration' } },
  },
  '/sources/{source}': {
    get: { summary: 'Read a source and its status', tags: ['Sources'] },
    put: { summary: 'Replace a source\'s configuration (admin)', tags: ['Sources'] },
    delete: { summary: 'Remove a source; ?purge=true also deletes the entities only it wrote', tags: ['Sources'], query: ['purge'] },
  },
  '/sources/{source}/sync': { post: { summary: 'Start a reconcile run now (202 with the run)', tags: ['Sources'], query: ['allowMassDeletion'], responses: { '202': 'Run started' } } },
  '/sources/{source}/runs': { get: { summary: 'Recent runs with counts and errors', tags: ['Sources'], query: ['limit'] } },
  '/sources/{source}/runs/{run}': { get: { summary: 'One run: progress, counts, errors (their messages for admins only: they may quote what the source read)', tags: ['Sources'] } },
  '/sources/{source}/entities': { get: { summary: 'Entities a source has written that the caller may read', tags: ['Sources'], query: ['limit', 'cursor'] } },
  '/webhooks/{source}': { post: { summary: 'Deliver a webhook to a source; the signature is verified with the source\'s secret', tags: ['Sources'], responses: { '202': 'Accepted', '401': 'Bad signature' } } },
  '/scorecards': {
    get: { summary: 'List scorecards with level counts', tags: ['Scorecards'] },
    post: { summary: 'Create a scorecard (admin); rules are read-only Cypher or library rules', tags: ['Scorecards'], responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid scorecard' } },
  },
  '/scorecards/{scorecard}': {
    get: { summary: 'Read a scorecard, its levels and level counts', tags: ['Scorecards'] },
    put: { summary: 'Replace a scorecard (admin); results are recomputed', tags: ['Scorecards'] },
    delete: { summary: 'Delete a scorecard and its results (admin)', tags: ['Scorecards'] },
  },
  '/scorecards/{scorecard}/evaluate': { post: { summary: 'Evaluate a scorecard over all its entities now', tags: ['Scorecards'] } },
  '/scorecards/{scorecard}/results': { get: { summary: 'Results per entity, at or below a level', tags: ['Scorecards'], query: ['level', 'below', 'entity', 'limit', 'cursor'] } },
  '/scorecards/{scorecard}/history': { get: { summary: 'Level changes, newest first', tags: ['Scorecards'], query: ['entity', 'since', 'limit', 'cursor'] } },
  '/scorecards/{scorecard}/trend': { get: { summary: 'Entities per level per day', tags: ['Scorecards'], query: ['days'] } },
  '/scorecard-rules': { get: { summary: 'The library of ready-made rules', tags: ['Scorecards'] } },
  '/blueprints/{blueprint}/entities/{identifier}/scorecards': { get: { summary: 'Where one entity stands on every scorecard that scores it', tags: ['Scorecards'] } },
  '/queries': {
    get: { summary: 'List saved queries', tags: ['Search'] },
    post: { summary: 'Save a named Cypher (admin, read-only checked) or GraphQL query', tags: ['Search'], responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid query' } },
  },
  '/queries/{query}': {
    get: { summary: 'Read a saved query', tags: ['Search'] },
    put: { summary: 'Replace a saved query', tags: ['Search'] },
    delete: { summary: 'Delete a saved query', tags: ['Search'] },
  },
  '/queries/{query}/run': { post: { summary: 'Run a saved query with parameters', tags: ['Search'] } },
  '/automations': {
    get: { summary: 'Automations (member; webhook secrets masked)', tags: ['Automations'] },
    post: { summary: 'Create an automation (admin)', tags: ['Automations'], responses: { '201': 'Created', '409': 'Identifier taken', '422': 'Invalid automation' } },
  },
  '/automations/{automation}': {
    get: { summary: 'Read an automation with its status (last firing, last error)', tags: ['Automations'] },
    put: { summary: 'Replace an automation (admin); "********" keeps the stored webhook secret', tags: ['Automations'], responses: { '200': 'OK', '422': 'Invalid automation' } },
    delete: { summary: 'Delete an automation (admin)', tags: ['Automations'] },
  },
  '/automations/{automation}/firings': { get: { summary: "An automation's latest firings (state, depth, run, error)", tags: ['Automations'], query: ['limit'] } },
  '/views': {
    get: { summary: 'Saved catalog views of the blueprints the caller may read', tags: ['Catalog views'], query: ['blueprint'] },
    post: { summary: 'Save a catalog view (member)', tags: ['Catalog views'], responses: { '201': 'Created', '409': 'Name taken', '422': 'Invalid view' } },
  },
  '/views/{id}': {
    get: { summary: 'Read a view', tags: ['Catalog views'] },
    put: { summary: 'Change a view (its author or an admin)', tags: ['Catalog views'] },
    delete: { summary: 'Delete a view (its author or an admin)', tags: ['Catalog views'] },
  },
  '/actions': {
    get: { summary: 'Actions the caller may see; ?entity=blueprint:identifier: those that apply to it and the caller may run; ?blueprint=: its CREATE actions the caller may run', tags: ['Actions'], query: ['entity', 'blueprint', 'operation'] },
    post: { summary: 'Create an action (admin, or moderator of its blueprint); secrets are stored encrypted and answered as "********"', tags: ['Actions'], responses: { '201': 'Created', '409': 'Exists', '422': 'Invalid definition' } },
  },
  '/actions/{action}': {
    get: { summary: 'Read an action (secrets masked)', tags: ['Actions'] },
    put: { summary: 'Replace an action; a secret sent as "********" keeps the stored one', tags: ['Actions'], responses: { '422': 'Invalid definition' } },
    delete: { summary: 'Delete an action (its runs stay)', tags: ['Actions'] },
  },
  '/actions/{action}/runs': { post: { summary: 'Run an action: {entity?, inputs}; 400 names the invalid input', tags: ['Actions'], responses: { '201': 'The run (IN_PROGRESS or WAITING_FOR_APPROVAL)', '400': 'Invalid inputs or entity', '403': 'Not allowed to run it' } } },
  '/runs': { get: { summary: 'Runs the caller may read, newest first; approver=me: runs waiting for the caller\'s approval', tags: ['Actions'], query: ['action', 'status', 'entity', 'actor', 'approver', 'limit', 'cursor'] } },
  '/runs/{run}': {
    get: { summary: 'A run with the first page of its log', tags: ['Actions'] },
    patch: { summary: 'Executor: report status, statusLabel, link, summary (Authorization: Bearer <run token>)', tags: ['Actions'], responses: { '401': 'Not a run token', '403': 'Another run\'s token, or the run has ended', '413': 'A field over the size limit' } },
  },
  '/runs/{run}/logs': {
    get: { summary: 'A page of the run\'s log after a line (seq)', tags: ['Actions'], query: ['after', 'limit'] },
    post: { summary: 'Executor: append a log line {message, level?, terminationStatus?} (Authorization: Bearer <run token>)', tags: ['Actions'], responses: { '201': 'Appended', '401': 'Not a run token', '403': 'Another run\'s token, or the run has ended', '413': 'Line too long or the run\'s log is full' } },
  },
  '/runs/{run}/events': { get: { summary: 'Server-Sent Events: status changes and log lines; Last-Event-ID resumes; ends after the final status', tags: ['Actions'], query: ['lastEventId'], responses: { '200': 'text/event-stream' } } },
  '/runs/{run}/approval': { post: { summary: 'Approve or decline a waiting run {decision, reason?}', tags: ['Actions'], responses: { '403': 'Not an approver, or your own run', '409': 'Not waiting for approval' } } },
  '/runs/{run}/cancel': { post: { summary: 'Cancel a waiting or running run (its creator, approvers, admins); the executor is told', tags: ['Actions'], responses: { '409': 'Already ended' } } },
  '/runs/{run}/rerun': { post: { summary: 'Run again with the same inputs (secrets included) as a new run', tags: ['Actions'], responses: { '201': 'The new run' } } },
};

/** Builds the OpenAPI document for the routes above (other modules may add theirs). */
const dryRunPaths = /^\/(blueprints(\/\{blueprint\}(\/entities(\/\{identifier\})?)?)?|entities\/bulk|sources(\/\{source\})?|scorecards(\/\{scorecard\})?|actions(\/\{action\})?)$/;

export function openApiDocument(extra: typeof routes = {}): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, ops] of Object.entries({ ...routes, ...extra })) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      // Every write endpoint takes ?dryRun=true (docs/api.md "Dry runs").
      const dryRun = method !== 'get' && dryRunPaths.test(path) ? ['dryRun'] : [];
      for (const q of [...(op.query ?? []), ...dryRun]) params.push({ name: q, in: 'query', required: false, schema: { type: 'string' } } as never);
      item[method] = {
        summary: op.summary,
        tags: op.tags,
        parameters: params,
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
        responses: {
          ...Object.fromEntries(Object.entries(op.responses ?? { '200': 'OK' }).map(([code, description]) => [code, { description }])),
          '400': err,
          '401': err,
          '403': err,
          '404': err,
        },
      };
    }
    paths[`/api/v1${path}`] = item;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Plexus REST API', version: '1', description: 'The catalog, search and administration API. GraphQL lives at /graphql.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } },
            },
          },
        },
        Blueprint: { type: 'object', required: ['identifier', 'schema'], properties: { identifier: { type: 'string', pattern: '^[a-z][a-zA-Z0-9]{0,63}$' }, title: { type: 'string' }, schema: { type: 'object' }, relations: { type: 'object' } } },
        Entity: { type: 'object', required: ['identifier'], properties: { identifier: { type: 'string' }, blueprint: { type: 'string' }, title: { type: 'string' }, properties: { type: 'object' }, relations: { type: 'object' } } },
        BulkRequest: { type: 'object', properties: { entities: { type: 'array', items: ref('Entity') } } },
        AggregateRequest: { type: 'object', required: ['groupBy'], properties: { blueprint: { type: 'string' }, combinator: { enum: ['and', 'or'] }, rules: { type: 'array', items: { type: 'object' } }, impact: { type: 'object', properties: { blueprint: { type: 'string' }, identifier: { type: 'string' }, direction: { enum: ['upstream', 'downstream', 'both'] }, depth: { type: 'integer' }, relations: { type: 'array', items: { type: 'string' } } } }, groupBy: { type: 'string', description: 'blueprint, property:<name> or relation:<name>' }, metrics: { type: 'array', items: { type: 'string' } }, sort: { type: 'string' }, limit: { type: 'integer' } } },
        SearchRequest: { type: 'object', properties: { blueprint: { type: 'string' }, combinator: { enum: ['and', 'or'] }, rules: { type: 'array', items: { type: 'object' } }, limit: { type: 'integer' }, cursor: { type: 'string' } } },
      },
    },
  };
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
