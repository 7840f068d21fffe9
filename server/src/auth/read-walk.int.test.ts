import { type Connector, defineConfig } from '@plexus/connector-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authWithoutRateLimit, startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Issue 14, item 3: every GET route of the OpenAPI document, walked as a viewer kept from one
// blueprint, with path and query parameters filled with real values (visible and hidden ones).
// No response may name an entity of the hidden blueprint — whether through the entity itself,
// a relation value, an audit snapshot, a source's ledger, a run's errors, a scorecard result,
// a view or a saved query. An error may repeat what the request itself said (the identifier in
// its URL), which is no leak, so only those are stripped before the check, and only from errors.

let px: TestPlexus;
const u = uniqueId('');
/** In every hidden entity's identifier and title, and nowhere else. */
const mark = `hdn${u}`;
const bp = { vis: `vis${u}`, hid: `hid${u}` };
const id = {
  alpha: `secret-${mark}-alpha`,
  beta: `secret-${mark}-beta`,
  gamma: `secret-${mark}-gamma`,
  bad: `secret-${mark}-bad`,
  visOne: `vis-one-${u}`,
  visTwo: `vis-two-${u}`,
};
const source = `walk-src-${u}`;
const sc = { vis: `sc-vis-${u}`, hid: `sc-hid-${u}` };
const queries = { cypher: `q-cypher-${u}`, graphql: `q-graphql-${u}` };
const views: string[] = [];
let runId = '';
const actionHid = `act-hid-${u}`;
let actionRunId = '';
const actionVis = `act-vis-${u}`;
const automationHid = `auto-hid-${u}`;
const automationVis = `auto-vis-${u}`;
let visibleRunId = '';
let viewer = '';
let member = '';

const admin = (method: string, path: string, body?: unknown) => px.call(method, path, body);
async function ok(res: Promise<{ status: number; body: any }>, status = [200, 201, 202]) {
  const r = await res;
  expect(status, JSON.stringify(r.body)).toContain(r.status);
  return r.body;
}

/** A connector fed from memory: no files, no network, just the records of this test. */
const records = [
  { kind: 'vis', data: { id: id.visTwo, uses: [id.gamma] } },
  { kind: 'hid', data: { id: id.gamma, name: `Hidden ${mark}`, code: 7 } },
  // Fails validation: its error names it and quotes the value the source read.
  { kind: 'hid', data: { id: id.bad, name: `Hidden ${mark}`, code: `not a number ${mark}` } },
];
const memoryConnector: Connector<Record<string, never>> = {
  type: `memory${u}`,
  title: 'In-memory test source',
  config: defineConfig({}) as never,
  defaultMapping: { mappings: [] },
  async *fetch() {
    for (const r of records) yield { ...r, origin: `memory #${r.data.id}` };
  },
};

beforeAll(async () => {
  // Hundreds of requests from one token: the per-token rate limit is off (a fast walk emptied it).
  px = await startTestPlexus({ auth: authWithoutRateLimit() });
  await ok(
    admin('POST', '/api/v1/blueprints', {
      identifier: bp.hid,
      title: 'Hidden',
      schema: { properties: { code: { type: 'integer' } } },
      permissions: { read: { roles: ['admin'] } },
    }),
  );
  await ok(
    admin('POST', '/api/v1/blueprints', {
      identifier: bp.vis,
      title: 'Visible',
      schema: { properties: { tier: { type: 'integer' } } },
      relations: { uses: { target: bp.hid, many: true }, owner: { target: bp.hid, many: false } },
    }),
  );
  await ok(
    admin('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: bp.hid, identifier: id.alpha, title: `Hidden ${mark}`, properties: { code: 1 } },
        { blueprint: bp.hid, identifier: id.beta, title: `Hidden ${mark}`, properties: { code: 2 } },
        {
          blueprint: bp.vis,
          identifier: id.visOne,
          properties: { tier: 1 },
          relations: { uses: [id.alpha], owner: id.beta },
        },
      ],
    }),
  );
  // An update, so the visible entity's history has a before and an after naming hidden ones.
  await ok(
    admin('POST', `/api/v1/blueprints/${bp.vis}/entities`, {
      identifier: id.visOne,
      properties: { tier: 2 },
      relations: { uses: [id.alpha, id.beta], owner: id.beta },
    }),
  );

  px.services.sources.registerConnector(memoryConnector);
  await ok(
    admin('POST', '/api/v1/sources', {
      identifier: source,
      type: memoryConnector.type,
      config: {},
      mapping: {
        mappings: [
          { kind: 'vis', blueprint: bp.vis, identifier: 'id', relations: { uses: 'uses' } },
          { kind: 'hid', blueprint: bp.hid, identifier: 'id', title: 'name', properties: { code: 'code' } },
        ],
      },
    }),
  );
  const started = await ok(admin('POST', `/api/v1/sources/${source}/sync`));
  runId = started.run;
  await px.services.sources.waitForRun(runId);

  for (const [identifier, blueprint] of [
    [sc.vis, bp.vis],
    [sc.hid, bp.hid],
  ]) {
    const property = blueprint === bp.vis ? 'tier' : 'code';
    await ok(
      admin('POST', '/api/v1/scorecards', {
        identifier,
        title: identifier,
        blueprint,
        rules: [{ identifier: 'set', title: 'Set', level: 'Bronze', property, operator: 'isNotEmpty' }],
      }),
    );
    await ok(admin('POST', `/api/v1/scorecards/${identifier}/evaluate`));
  }
  // A level change of a hidden entity, for the scorecard history.
  await ok(
    admin('POST', '/api/v1/entities/bulk', {
      entities: [{ blueprint: bp.hid, identifier: id.alpha, title: `Hidden ${mark}`, properties: {} }],
    }),
  );
  await ok(admin('POST', `/api/v1/scorecards/${sc.hid}/evaluate`));

  for (const blueprint of [bp.vis, bp.hid]) {
    const v = await ok(
      admin('POST', '/api/v1/views', {
        blueprint,
        name: `view ${blueprint}`,
        definition: { columns: ['title'], filters: [] },
      }),
    );
    views.push(v.id);
  }
  await ok(
    admin('POST', '/api/v1/queries', {
      identifier: queries.cypher,
      title: 'All',
      language: 'cypher',
      query: 'MATCH (n:Entity) RETURN n.identifier AS id',
    }),
  );
  await ok(
    admin('POST', '/api/v1/queries', {
      identifier: queries.graphql,
      title: 'Entities',
      language: 'graphql',
      query: '{ __typename }',
    }),
  );

  // An action on the hidden blueprint and a run of it on a hidden entity (waiting for approval:
  // nothing is invoked); neither may show to those who cannot read the blueprint.
  await ok(
    admin('POST', '/api/v1/actions', {
      identifier: actionHid,
      title: `Hidden ${mark}`,
      blueprint: bp.hid,
      operation: 'DAY-2',
      inputs: { properties: {} },
      approval: { required: true },
      invoker: {
        type: 'webhook',
        url: 'https://executor.example.com/hooks',
        secret: 'a-long-enough-signing-secret',
      },
    }),
  );
  actionRunId = (
    await ok(admin('POST', `/api/v1/actions/${actionHid}/runs`, { entity: `${bp.hid}:${id.alpha}` }))
  ).id;
  // And a visible one, ended (cancelled while waiting), so its event stream ends too.
  await ok(
    admin('POST', '/api/v1/actions', {
      identifier: actionVis,
      title: 'Visible',
      blueprint: bp.vis,
      operation: 'DAY-2',
      inputs: { properties: {} },
      approval: { required: true },
      invoker: {
        type: 'webhook',
        url: 'https://executor.example.com/hooks',
        secret: 'a-long-enough-signing-secret',
      },
    }),
  );
  visibleRunId = (
    await ok(admin('POST', `/api/v1/actions/${actionVis}/runs`, { entity: `${bp.vis}:${id.visOne}` }))
  ).id;
  await ok(admin('POST', `/api/v1/runs/${visibleRunId}/cancel`));

  // An automation on the hidden blueprint (its firings name the hidden entities that fired it).
  await ok(
    admin('POST', '/api/v1/automations', {
      identifier: automationHid,
      title: `Hidden ${mark}`,
      enabled: false,
      trigger: { type: 'entity.updated', blueprint: bp.hid },
      target: { type: 'action', action: actionHid },
    }),
  );

  await ok(
    admin('POST', '/api/v1/automations', {
      identifier: automationVis,
      title: 'Visible',
      enabled: false,
      trigger: { type: 'entity.updated', blueprint: bp.vis },
      target: { type: 'action', action: actionVis },
    }),
  );

  viewer = (await ok(admin('POST', '/api/v1/tokens', { name: `walker-${u}`, role: 'viewer' }))).token;
  // The audit trail is for members: the leak was a member's.
  member = (await ok(admin('POST', '/api/v1/tokens', { name: `member-${u}`, role: 'member' }))).token;
}, 400_000);

afterAll(async () => {
  await px?.close();
});

/** Values tried for each path parameter: visible ones and hidden ones. */
function pathValues(): Record<string, string[]> {
  return {
    blueprint: [bp.vis, bp.hid],
    identifier: [id.visOne, id.visTwo, id.alpha, id.gamma],
    source: [source],
    run: [runId, actionRunId, visibleRunId],
    action: [actionHid, actionVis],
    automation: [automationHid, automationVis],
    scorecard: [sc.vis, sc.hid],
    query: [queries.cypher, queries.graphql],
    id: [...views, 'me'],
    pack: ['backstage'],
  };
}

/** Values tried for each query parameter, one parameter at a time (plus none). */
function queryValues(): Record<string, string[]> {
  return {
    q: ['secret', 'alpha', 'gamma', 'vis'],
    blueprint: [bp.vis, bp.hid],
    entity: [`${bp.vis}:${id.visOne}`, `${bp.hid}:${id.alpha}`, id.visOne, id.alpha],
    subject: [`${bp.vis}:${id.visOne}`, `${bp.hid}:${id.alpha}`, source, sc.hid],
    kind: ['entity', 'source', 'scorecard', 'view', 'query', 'blueprint'],
    from: [`${bp.vis}:${id.visOne}`, `${bp.hid}:${id.alpha}`],
    to: [`${bp.hid}:${id.beta}`, `${bp.vis}:${id.visTwo}`],
    direction: ['upstream', 'downstream', 'both'],
    relations: ['uses', 'owner'],
    depth: ['5'],
    include: ['owners,members,oncall'],
    level: ['Basic', 'Bronze'],
    below: ['Gold'],
    limit: ['100'],
  };
}

function expand(template: string, values: Record<string, string[]>): string[] {
  const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  let out = [template];
  for (const name of names) {
    const candidates = values[name];
    if (!candidates)
      throw new Error(`no test values for path parameter {${name}} of ${template}: add them to pathValues()`);
    out = out.flatMap((t) => candidates.map((v) => t.replace(`{${name}}`, encodeURIComponent(v))));
  }
  return out;
}

/** The OpenAPI document the app serves (generated from its routes). */
async function servedDocument() {
  const res = await px.call('GET', '/api/v1/openapi.json', undefined, { token: null });
  expect(res.status).toBe(200);
  return res.body as { paths: Record<string, { get?: { parameters?: { name: string; in: string }[] } }> };
}

describe('GET routes as a viewer kept from one blueprint', () => {
  it('lists every GET route of the app in the OpenAPI document, so the walk covers them all', async () => {
    const documented = new Set(
      Object.keys((await servedDocument()).paths).map((p) => p.replace(/\{(\w+)\}/g, ':$1')),
    );
    const served = px.app.routes
      .filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/') && r.path !== '/api/v1/openapi.json')
      .map((r) => r.path);
    const missing = served.filter(
      (p) => ![...documented].some((d) => d.replace(/:\w+/g, ':x') === p.replace(/:\w+/g, ':x')),
    );
    expect(missing).toEqual([]);
  });

  /** Walks every GET route as `token`; returns the leaks and the statuses per route template. */
  async function walk(token: string) {
    const doc = await servedDocument();
    const qv = queryValues();
    const leaks: string[] = [];
    const statusByRoute = new Map<string, number[]>();
    let requests = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!ops.get) continue;
      const queryNames = (ops.get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      for (const path of expand(template, pathValues())) {
        const urls = [path];
        for (const name of queryNames)
          for (const v of qv[name] ?? []) urls.push(`${path}?${name}=${encodeURIComponent(v)}`);
        // Parameters that only work together (GET /paths needs both ends).
        if (queryNames.includes('from') && queryNames.includes('to'))
          for (const from of qv.from)
            for (const to of qv.to)
              urls.push(
                `${path}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&relations=uses,owner`,
              );
        for (const url of urls) {
          const res = await px.app.request(url, { headers: { authorization: `Bearer ${token}` } });
          requests++;
          let text = await res.text();
          statusByRoute.set(template, [...(statusByRoute.get(template) ?? []), res.status]);
          expect(res.status, `${url}: ${text}`).toBeLessThan(500);
          // An error may repeat the request's own words; a success may not.
          if (res.status >= 400)
            for (const part of decodeURIComponent(url).split(/[/?=&:]/))
              if (part.includes(mark)) text = text.split(part).join('');
          if (text.includes(mark))
            leaks.push(
              `${url} (${res.status}): ${text.slice(Math.max(0, text.indexOf(mark) - 200), text.indexOf(mark) + 100)}`,
            );
        }
      }
    }
    expect(requests).toBeGreaterThan(100);
    return { leaks, statusByRoute };
  }

  for (const who of ['viewer', 'member'] as const) {
    it(`never names a hidden entity in any response to a ${who}`, { timeout: 400_000 }, async () => {
      const { leaks, statusByRoute } = await walk(who === 'viewer' ? viewer : member);
      expect(leaks).toEqual([]);
      // Not a vacuous walk: every route answered, and all but the ones the role may not use with data.
      const refused = new Set([
        '/api/v1/tokens',
        '/api/v1/users',
        '/api/v1/users/{id}',
        // Automations are for members (they describe what fires on which changes), like the audit trail.
        ...(who === 'viewer'
          ? [
              '/api/v1/audit',
              '/api/v1/automations',
              '/api/v1/automations/{automation}',
              '/api/v1/automations/{automation}/firings',
            ]
          : []),
      ]);
      for (const [template, statuses] of statusByRoute) {
        if (!refused.has(template)) expect(statuses, template).toContain(200);
      }
    });
  }

  it('shows the admin what the viewer does not see (the walk would have caught it)', async () => {
    const texts = await Promise.all(
      [
        `/api/v1/sources/${source}/entities`,
        `/api/v1/sources/${source}/runs/${runId}`,
        `/api/v1/audit?entity=${bp.vis}:${id.visOne}`,
        `/api/v1/scorecards/${sc.hid}/results`,
      ].map(async (url) =>
        (await px.app.request(url, { headers: { authorization: `Bearer ${px.adminToken}` } })).text(),
      ),
    );
    for (const text of texts) expect(text).toContain(mark);
  });

  it("keeps a member's audit events of visible entities, without the hidden relation values", async () => {
    const r = await px.call('GET', `/api/v1/audit?entity=${bp.vis}:${id.visOne}`, undefined, {
      token: member,
    });
    expect(r.status).toBe(200);
    const updated = r.body.events.find((e: { type: string }) => e.type === 'entity.updated');
    expect(updated.before.relations).toEqual({ uses: [], owner: null });
    expect(updated.after.relations).toEqual({ uses: [], owner: null });
    expect(updated.after.properties).toEqual({ tier: 2 });
  });

  it("lists a source's visible entities and its run's errors without their text to a viewer", async () => {
    const entities = await px.call('GET', `/api/v1/sources/${source}/entities`, undefined, { token: viewer });
    expect(entities.body.entities).toEqual([{ blueprint: bp.vis, identifier: id.visTwo }]);
    const run = await px.call('GET', `/api/v1/sources/${source}/runs/${runId}`, undefined, { token: viewer });
    expect(run.body.errors).toBe(1);
    expect(run.body.errorDetails).toHaveLength(1);
    expect(run.body.errorDetails[0].message).toMatch(/admins only/);
    expect(run.body.errorDetails[0].identifier).toBeUndefined();
    const asAdmin = await px.call('GET', `/api/v1/sources/${source}/runs/${runId}`);
    expect(asAdmin.body.errorDetails[0].identifier).toBe(id.bad);
  });
});
