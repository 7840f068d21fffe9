import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signTimestamped } from '@plexus/connector-sdk';
import { type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/main.ts';
import { readRows } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

/** An audit event as GET /api/v1/audit returns it. */
type Row = {
  type: string;
  kind: string;
  subject: string;
  actor: string;
  origin: string;
  runId: string | null;
  blueprint: string | null;
  identifier: string | null;
  before: any;
  after: any;
};

let px: TestPlexus;
let bp: string;
let dir: string;
let fake: FakeServer;
/** What the fake JSON endpoint of http-json sources serves. */
let served: unknown[] = [];

beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('cov');
  const res = await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Covered',
    schema: { properties: { tier: { type: 'integer' } } },
  });
  expect(res.status).toBe(201);
  dir = mkdtempSync(join(tmpdir(), 'plexus-audit-'));
  fake = await startFakeServer(() => ({ body: served }));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fake?.close();
  await px?.close();
});

/** The audit trail as the admin (or `token`) sees it, newest first. */
async function trail(query: string, token?: string): Promise<Row[]> {
  const res = await px.call('GET', `/api/v1/audit?${query}`, undefined, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

/** A token of `role` whose name is the actor its writes are recorded with. */
async function tokenFor(name: string, role: 'admin' | 'member' | 'viewer' = 'member'): Promise<string> {
  const res = await px.call('POST', '/api/v1/tokens', { name, role });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token;
}

/** Audit rows, straight from the store, whose before or after contains `text`. */
async function storedRowsContaining(text: string): Promise<number> {
  const [row] = await readRows<{ n: number }>(
    px.services.db,
    'MATCH (a:_AuditEvent) WHERE a.before CONTAINS $text OR a.after CONTAINS $text OR a.subject CONTAINS $text RETURN count(a) AS n',
    { text },
  );
  return row.n;
}

describe('audit of entity writes from every origin', () => {
  it('records an update of one entity through REST, the UI, GraphQL, a connector and the CLI with actor, origin and before/after', async () => {
    const id = uniqueId('svc');
    const names = {
      rest: uniqueId('rest-'),
      ui: uniqueId('ui-'),
      graphql: uniqueId('gql-'),
      cli: uniqueId('cli-'),
    };
    const rest = await tokenFor(names.rest);
    const ui = await tokenFor(names.ui);
    const graphql = await tokenFor(names.graphql);
    const cli = await tokenFor(names.cli);

    // REST, no declared origin.
    const created = await px.call(
      'POST',
      `/api/v1/blueprints/${bp}/entities`,
      { identifier: id, properties: { tier: 1 } },
      { token: rest },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // The web UI declares itself.
    const fromUi = await px.call(
      'POST',
      `/api/v1/blueprints/${bp}/entities`,
      { identifier: id, properties: { tier: 2 } },
      { token: ui, headers: { 'x-plexus-origin': 'ui' } },
    );
    expect(fromUi.status, JSON.stringify(fromUi.body)).toBe(200);
    // GraphQL mutation; an origin the server does not know is ignored.
    const gql = await px.call(
      'POST',
      '/graphql',
      {
        query: 'mutation($e: [EntityInput!]!) { upsertEntities(entities: $e) { updated } }',
        variables: { e: [{ blueprint: bp, identifier: id, properties: { tier: 3 } }] },
      },
      { token: graphql, headers: { 'x-plexus-origin': 'admin-console' } },
    );
    expect(gql.body.errors, JSON.stringify(gql.body)).toBeUndefined();
    expect(gql.body.data.upsertEntities.updated).toBe(1);

    // A connector: a signed webhook delivery.
    const source = uniqueId('hook-');
    const secret = uniqueId('hook-secret-');
    const hook = await px.call('POST', '/api/v1/sources', {
      identifier: source,
      type: 'webhook',
      config: { secret, signatureHeader: 'X-Signature', algorithm: 'sha256', prefix: 'sha256=' },
      mapping: {
        mappings: [{ kind: 'event', blueprint: bp, identifier: 'name', properties: { tier: 'tier' } }],
      },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const body = JSON.stringify({ name: id, tier: 4 });
    const delivered = await px.call('POST', `/webhooks/${source}`, body, {
      token: null,
      headers: {
        'content-type': 'application/json',
        'x-plexus-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-signature': signTimestamped(secret, Math.floor(Date.now() / 1000), body, 'sha256', 'sha256='),
      },
    });
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(202);

    // The CLI, through its own HTTP client.
    const file = join(dir, `${id}.json`);
    writeFileSync(file, JSON.stringify([{ blueprint: bp, identifier: id, properties: { tier: 5 } }]));
    let stderr = '';
    const code = await runCli(['push', '-f', file], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      env: { PLEXUS_URL: 'http://plexus.test', PLEXUS_TOKEN: cli },
      fetchImpl: ((input: string, init?: RequestInit) => px.app.request(input, init)) as typeof fetch,
    });
    expect(code, stderr).toBe(0);

    const events = (await trail(`entity=${bp}:${id}`)).reverse();
    expect(
      events.map((e) => [
        e.type,
        e.origin,
        e.actor,
        e.before?.properties.tier ?? null,
        e.after.properties.tier,
      ]),
    ).toEqual([
      ['entity.created', 'api', names.rest, null, 1],
      ['entity.updated', 'ui', names.ui, 1, 2],
      ['entity.updated', 'graphql', names.graphql, 2, 3],
      ['entity.updated', `connector:${source}`, `connector:${source}`, 3, 4],
      ['entity.updated', 'cli', names.cli, 4, 5],
    ]);
    expect(events.every((e) => e.kind === 'entity' && e.subject === `${bp}:${id}`)).toBe(true);
    // The webhook's secret is a source secret: recorded as set, never as a value.
    expect(await storedRowsContaining(secret)).toBe(0);
    // The first GraphQL request of the file starts a GraphQL worker and builds its schema.
  }, 240_000);
});

describe('audit of administered objects', () => {
  it('records blueprint changes with the origin the client declared', async () => {
    const other = uniqueId('cov');
    await px.call(
      'POST',
      '/api/v1/blueprints',
      { identifier: other, title: 'One', schema: { properties: {} } },
      { headers: { 'x-plexus-origin': 'cli' } },
    );
    await px.call(
      'PATCH',
      `/api/v1/blueprints/${other}`,
      { title: 'Two' },
      { headers: { 'x-plexus-origin': 'ui' } },
    );
    const events = await trail(`kind=blueprint&subject=${other}`);
    expect(events.map((e) => [e.type, e.origin, e.actor, e.before?.title ?? null, e.after.title])).toEqual([
      ['blueprint.updated', 'ui', 'admin', 'One', 'Two'],
      ['blueprint.created', 'cli', 'admin', null, 'One'],
    ]);
  });

  it('records scorecard creation, change and deletion with actor and before/after', async () => {
    const id = uniqueId('sc-');
    const author = uniqueId('sc-admin-');
    const token = await tokenFor(author, 'admin');
    const definition = {
      identifier: id,
      title: 'Tiered',
      blueprint: bp,
      levels: ['None', 'Bronze'],
      rules: [
        {
          identifier: 'tier-set',
          title: 'Tier is set',
          level: 'Bronze',
          property: 'tier',
          operator: 'isNotEmpty',
        },
      ],
    };
    expect((await px.call('POST', '/api/v1/scorecards', definition, { token })).status).toBe(201);
    expect(
      (
        await px.call(
          'PUT',
          `/api/v1/scorecards/${id}`,
          { ...definition, title: 'Tier set' },
          { token, headers: { 'x-plexus-origin': 'ui' } },
        )
      ).status,
    ).toBe(200);
    // Saving the same definition again is not a change.
    expect(
      (await px.call('PUT', `/api/v1/scorecards/${id}`, { ...definition, title: 'Tier set' }, { token }))
        .status,
    ).toBe(200);
    await px.services.scorecards.idle();
    expect((await px.call('DELETE', `/api/v1/scorecards/${id}`, undefined, { token })).status).toBe(204);

    const events = await trail(`kind=scorecard&subject=${id}`);
    expect(
      events.map((e) => [
        e.type,
        e.actor,
        e.origin,
        e.blueprint,
        e.before?.title ?? null,
        e.after?.title ?? null,
      ]),
    ).toEqual([
      ['scorecard.deleted', author, 'api', bp, 'Tier set', null],
      ['scorecard.updated', author, 'ui', bp, 'Tiered', 'Tier set'],
      ['scorecard.created', author, 'api', bp, null, 'Tiered'],
    ]);
    expect(events[2].after.rules).toEqual(definition.rules);
    // Evaluation status is not part of the definition's history.
    expect(events[0].before.status).toBeUndefined();
  });

  it('records source changes without their secrets, and who started a sync', async () => {
    const id = uniqueId('src-');
    const first = uniqueId('Bearer first-secret-');
    const second = uniqueId('Bearer second-secret-');
    const operator = uniqueId('ops-');
    const token = await tokenFor(operator, 'admin');
    const url = `${fake.url}/items`;
    const mapping = {
      mappings: [{ kind: 'item', blueprint: bp, identifier: 'id', properties: { tier: 'tier' } }],
    };
    const created = await px.call(
      'POST',
      '/api/v1/sources',
      { identifier: id, type: 'http-json', config: { url, headers: { authorization: first } }, mapping },
      { token },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const changed = await px.call(
      'PUT',
      `/api/v1/sources/${id}`,
      { type: 'http-json', config: { url: `${url}?v=2`, headers: { authorization: second } }, mapping },
      { token, headers: { 'x-plexus-origin': 'cli' } },
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    // Sending back what GET returned keeps the stored secret: a change of schedule only.
    const kept = await px.call(
      'PUT',
      `/api/v1/sources/${id}`,
      { type: 'http-json', config: changed.body.config, mapping, schedule: '1h' },
      { token },
    );
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    // The same again changes nothing and leaves no trace.
    expect(
      (
        await px.call(
          'PUT',
          `/api/v1/sources/${id}`,
          { type: 'http-json', config: changed.body.config, mapping, schedule: '1h' },
          { token },
        )
      ).status,
    ).toBe(200);

    served = [{ id: uniqueId('synced'), tier: 2 }];
    const started = await px.call('POST', `/api/v1/sources/${id}/sync`, undefined, {
      token,
      headers: { 'x-plexus-origin': 'ui' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await px.services.sources.waitForRun(started.body.run);
    expect(run?.status).toBe('succeeded');
    expect((await px.call('DELETE', `/api/v1/sources/${id}`, undefined, { token })).status).toBe(200);

    const events = await trail(`kind=source&subject=${id}`);
    expect(events.map((e) => [e.type, e.actor, e.origin])).toEqual([
      ['source.deleted', operator, 'api'],
      ['source.syncStarted', operator, 'ui'],
      ['source.updated', operator, 'api'],
      ['source.updated', operator, 'cli'],
      ['source.created', operator, 'api'],
    ]);
    const [deleted, sync, schedule, rotated, registered] = events;
    expect(registered.after).toMatchObject({
      type: 'http-json',
      config: { url },
      secretsSet: ['headers'],
      secretsWritten: ['headers'],
    });
    expect(rotated.before.config.url).toBe(url);
    expect(rotated.after).toMatchObject({ config: { url: `${url}?v=2` }, secretsWritten: ['headers'] });
    expect(schedule.before.schedule).toBeNull();
    expect(schedule.after.schedule).toBe('1h');
    expect(schedule.after.secretsWritten).toBeUndefined();
    expect(deleted.after).toBeNull();
    expect(deleted.before.schedule).toBe('1h');
    // The sync's entity writes carry the run id the person's event names.
    expect(sync.runId).toBe(started.body.run);
    const synced = await trail(`entity=${bp}:${(served[0] as { id: string }).id}`);
    expect(synced.map((e) => [e.type, e.origin, e.runId])).toEqual([
      ['entity.created', `connector:${id}`, started.body.run],
    ]);
    // Neither secret reached the audit trail, as returned or as stored.
    expect(JSON.stringify(events)).not.toMatch(/first-secret|second-secret/);
    expect(await storedRowsContaining(first)).toBe(0);
    expect(await storedRowsContaining(second)).toBe(0);
  });

  it('records user and team changes, so role and membership changes are on record', async () => {
    const user = uniqueId('user-');
    const team = uniqueId('team-');
    expect((await px.call('POST', '/api/v1/users', { id: user, role: 'viewer' })).status).toBe(201);
    expect(
      (
        await px.call(
          'PATCH',
          `/api/v1/users/${user}`,
          { role: 'member' },
          { headers: { 'x-plexus-origin': 'ui' } },
        )
      ).status,
    ).toBe(200);
    expect(
      (await px.call('POST', '/api/v1/teams', { identifier: team, title: 'Payments', members: [user] }))
        .status,
    ).toBe(201);
    expect((await px.call('PUT', `/api/v1/teams/${team}`, { members: [] })).status).toBe(200);
    expect((await px.call('DELETE', `/api/v1/teams/${team}`)).status).toBe(204);
    expect((await px.call('DELETE', `/api/v1/users/${user}`)).status).toBe(204);

    const users = await trail(`kind=user&subject=${user}`);
    expect(
      users.map((e) => [e.type, e.actor, e.origin, e.before?.role ?? null, e.after?.role ?? null]),
    ).toEqual([
      ['user.deleted', 'admin', 'api', 'member', null],
      ['user.updated', 'admin', 'ui', 'viewer', 'member'],
      ['user.created', 'admin', 'api', null, 'viewer'],
    ]);
    const teams = await trail(`kind=team&subject=${team}`);
    expect(teams.map((e) => [e.type, e.actor, e.before?.members ?? null, e.after?.members ?? null])).toEqual([
      ['team.deleted', 'admin', [], null],
      ['team.updated', 'admin', [user], []],
      ['team.created', 'admin', null, [user]],
    ]);
  });

  it('records token creation and revocation with name, role, scope and expiry, never the secret or its hash', async () => {
    const name = uniqueId('ci-');
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await px.call(
      'POST',
      '/api/v1/tokens',
      { name, role: 'member', blueprints: [bp], expiresAt },
      { headers: { 'x-plexus-origin': 'cli' } },
    );
    expect(created.status).toBe(201);
    expect((await px.call('DELETE', `/api/v1/tokens/${created.body.id}`)).status).toBe(204);

    const events = await trail(`kind=token&subject=${created.body.id}`);
    const snapshot = { id: created.body.id, name, role: 'member', blueprints: [bp], expiresAt, userId: null };
    expect(events.map((e) => [e.type, e.actor, e.origin, e.before, e.after])).toEqual([
      ['token.deleted', 'admin', 'api', snapshot, null],
      ['token.created', 'admin', 'cli', null, snapshot],
    ]);
    const secret: string = created.body.token;
    expect(await storedRowsContaining(secret)).toBe(0);
    expect(await storedRowsContaining(createHash('sha256').update(secret).digest('hex'))).toBe(0);
  });

  it("records the revocation of a removed user's tokens", async () => {
    const user = uniqueId('leaver-');
    expect((await px.call('POST', '/api/v1/users', { id: user, role: 'member' })).status).toBe(201);
    const token = await px.call('POST', '/api/v1/tokens', { name: 'laptop', role: 'member', user });
    expect(token.status).toBe(201);
    expect((await px.call('DELETE', `/api/v1/users/${user}`)).status).toBe(204);
    const events = await trail(`kind=token&subject=${token.body.id}`);
    expect(events.map((e) => [e.type, e.before?.userId])).toEqual([
      ['token.deleted', user],
      ['token.created', undefined],
    ]);
  });

  it('records saved query changes, and nothing for a save that changes nothing', async () => {
    const id = uniqueId('q-');
    const analyst = uniqueId('analyst-');
    const token = await tokenFor(analyst);
    const field = pluralFieldOf(bp);
    const body = { identifier: id, title: 'All', language: 'graphql', query: `{ ${field} { identifier } }` };
    // A member may save GraphQL queries; the schema knows the blueprint once it is built.
    await px.call('POST', '/graphql', { query: '{ __typename }' });
    const saved = await px.call('POST', '/api/v1/queries', body, { token });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(
      (await px.call('PUT', `/api/v1/queries/${id}`, { ...body, title: 'Everything' }, { token })).status,
    ).toBe(200);
    expect(
      (await px.call('PUT', `/api/v1/queries/${id}`, { ...body, title: 'Everything' }, { token })).status,
    ).toBe(200);
    expect((await px.call('DELETE', `/api/v1/queries/${id}`)).status).toBe(204);
    const events = await trail(`kind=query&subject=${id}`);
    expect(events.map((e) => [e.type, e.actor, e.before?.title ?? null, e.after?.title ?? null])).toEqual([
      ['query.deleted', 'admin', 'Everything', null],
      ['query.updated', analyst, 'All', 'Everything'],
      ['query.created', analyst, null, 'All'],
    ]);
    expect(events[2].after.query).toBe(body.query);
  });

  it('records saved view changes with their blueprint', async () => {
    const author = uniqueId('author-');
    const token = await tokenFor(author);
    const created = await px.call(
      'POST',
      '/api/v1/views',
      { blueprint: bp, name: uniqueId('By tier '), definition: { sort: 'tier' } },
      { token, headers: { 'x-plexus-origin': 'ui' } },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id;
    expect(
      (
        await px.call(
          'PUT',
          `/api/v1/views/${id}`,
          { definition: { sort: '-tier' } },
          { token, headers: { 'x-plexus-origin': 'ui' } },
        )
      ).status,
    ).toBe(200);
    expect((await px.call('DELETE', `/api/v1/views/${id}`, undefined, { token })).status).toBe(200);
    const events = await trail(`kind=view&subject=${id}`);
    expect(
      events.map((e) => [
        e.type,
        e.actor,
        e.origin,
        e.blueprint,
        e.before?.definition ?? null,
        e.after?.definition ?? null,
      ]),
    ).toEqual([
      ['view.deleted', author, 'api', bp, { sort: '-tier' }, null],
      ['view.updated', author, 'ui', bp, { sort: 'tier' }, { sort: '-tier' }],
      ['view.created', author, 'ui', bp, null, { sort: 'tier' }],
    ]);
  });

  it('rejects an unknown kind', async () => {
    const res = await px.call('GET', '/api/v1/audit?kind=password');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/kind must be one of entity, blueprint/);
  });
});

describe('who sees which audit events', () => {
  it('shows user, team and token events to admins only, and members the rest of what they may read', async () => {
    const since = new Date().toISOString();
    const user = uniqueId('seen-');
    const team = uniqueId('seen-team-');
    const query = uniqueId('seen-q-');
    await px.call('POST', '/api/v1/users', { id: user, role: 'member' });
    await px.call('POST', '/api/v1/teams', { identifier: team, members: [user] });
    const issued = await px.call('POST', '/api/v1/tokens', {
      name: uniqueId('seen-token-'),
      role: 'member',
      user,
    });
    await px.call('POST', '/api/v1/queries', {
      identifier: query,
      language: 'cypher',
      query: 'RETURN 1 AS one',
    });
    await px.call('POST', `/api/v1/blueprints/${bp}/entities`, { identifier: uniqueId('seen-e') });

    const member = await tokenFor(uniqueId('member-'));
    for (const kind of ['user', 'team', 'token'])
      expect(await trail(`kind=${kind}&since=${since}&limit=1000`, member)).toEqual([]);
    const seen = await trail(`since=${since}&limit=1000`, member);
    expect(seen.filter((e) => ['user', 'team', 'token'].includes(e.kind))).toEqual([]);
    expect(seen.map((e) => e.kind)).toEqual(expect.arrayContaining(['query', 'entity']));
    expect(JSON.stringify(seen)).not.toContain(issued.body.id);
    expect(JSON.stringify(seen)).not.toContain(user);

    const all = await trail(`since=${since}&limit=1000`);
    expect(all.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['user', 'team', 'token', 'query', 'entity']),
    );
  });
});
