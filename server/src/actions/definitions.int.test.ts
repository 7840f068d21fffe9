import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { waitFor } from './test-executor.ts';

let px: TestPlexus;
let bp: string;
let memberToken: string;
let viewerToken: string;

const webhook = {
  type: 'webhook',
  url: 'https://deployer.example.com/hooks/plexus',
  secret: 'a-long-enough-signing-secret',
};

beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('env');
  const created = await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Environment',
    schema: {
      properties: { ttlHours: { type: 'integer' }, region: { type: 'string', enum: ['eu', 'us'] } },
      required: ['region'],
    },
  });
  expect(created.status).toBe(201);
  const token = async (role: string) =>
    (await px.call('POST', '/api/v1/tokens', { name: uniqueId(role), role })).body.token as string;
  memberToken = await token('member');
  viewerToken = await token('viewer');
}, 120_000);

afterAll(async () => {
  await px?.close();
});

describe('action definitions', () => {
  it('answers 422 with a detail per field for an invalid definition, and stores nothing', async () => {
    const identifier = uniqueId('bad-');
    const res = await px.call('POST', '/api/v1/actions', {
      identifier,
      title: '',
      operation: 'DAY-2',
      condition: { rules: [{ property: 'nope', operator: '=', value: 1 }] },
      inputs: {
        properties: {
          version: { type: 'text' },
          when: { type: 'string', visible: { jsonata: 'form.a = (' } },
        },
        required: ['missing'],
      },
      invoker: { type: 'webhook', url: 'ftp://x', secret: 'short' },
      approval: { required: true, type: 'SOME' },
      permissions: { execute: { roles: ['boss'] } },
      timeoutMs: 5,
    });
    expect(res.status).toBe(422);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/title',
        '/blueprint',
        '/inputs/properties/version/type',
        '/inputs/properties/when/visible',
        '/inputs/required/0',
        '/invoker/url',
        '/invoker/secret',
        '/approval/type',
        '/permissions/execute/roles',
        '/timeoutMs',
      ]),
    );
    expect((await px.call('GET', `/api/v1/actions/${identifier}`)).status).toBe(404);
  });

  it('checks the condition against the blueprint with the search rules', async () => {
    const res = await px.call('POST', '/api/v1/actions', {
      identifier: uniqueId('cond-'),
      title: 'Extend',
      blueprint: bp,
      operation: 'DAY-2',
      condition: { rules: [{ property: 'nope', operator: '=', value: 1 }] },
      invoker: webhook,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe('/condition/rules/0/property');
  });

  it('refuses an unknown blueprint and a second action with the same identifier', async () => {
    expect(
      (
        await px.call('POST', '/api/v1/actions', {
          identifier: uniqueId('x-'),
          title: 'X',
          blueprint: uniqueId('nope'),
          operation: 'CREATE',
          invoker: webhook,
        })
      ).body.error.details[0].path,
    ).toBe('/blueprint');
    const identifier = uniqueId('dup-');
    expect(
      (
        await px.call('POST', '/api/v1/actions', {
          identifier,
          title: 'X',
          blueprint: bp,
          operation: 'CREATE',
          invoker: webhook,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await px.call('POST', '/api/v1/actions', {
          identifier,
          title: 'X',
          blueprint: bp,
          operation: 'CREATE',
          invoker: webhook,
        })
      ).status,
    ).toBe(409);
  });

  it('lets admins manage actions, members and viewers only read them, secrets masked', async () => {
    const identifier = uniqueId('ro-');
    const def = { identifier, title: 'Extend TTL', blueprint: bp, operation: 'DAY-2', invoker: webhook };
    expect((await px.call('POST', '/api/v1/actions', def, { token: memberToken })).status).toBe(403);
    expect((await px.call('POST', '/api/v1/actions', def)).status).toBe(201);
    const read = await px.call('GET', `/api/v1/actions/${identifier}`, undefined, { token: viewerToken });
    expect(read.status).toBe(200);
    expect(read.body.invoker).toEqual({ ...webhook, secret: '********' });
    expect(JSON.stringify((await px.call('GET', '/api/v1/actions')).body)).not.toContain(webhook.secret);
    expect(
      (
        await px.call(
          'PUT',
          `/api/v1/actions/${identifier}`,
          { ...def, title: 'Changed' },
          { token: memberToken },
        )
      ).status,
    ).toBe(403);
    expect(
      (await px.call('DELETE', `/api/v1/actions/${identifier}`, undefined, { token: memberToken })).status,
    ).toBe(403);
    const renamed = await px.call('PUT', `/api/v1/actions/${identifier}`, {
      ...def,
      title: 'Changed',
      invoker: { ...webhook, secret: '********' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('Changed');
    expect((await px.call('DELETE', `/api/v1/actions/${identifier}`)).status).toBe(200);
    const audit = await px.call('GET', `/api/v1/audit?kind=action&subject=${identifier}`);
    expect(audit.body.events.map((e: { type: string }) => e.type).sort()).toEqual([
      'action.created',
      'action.deleted',
      'action.updated',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(webhook.secret);
  });

  it('refuses "********" for a secret when none is stored yet', async () => {
    const res = await px.call('POST', '/api/v1/actions', {
      identifier: uniqueId('m-'),
      title: 'M',
      blueprint: bp,
      operation: 'CREATE',
      invoker: { ...webhook, secret: '********' },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].path).toBe('/invoker/secret');
  });
});

describe('the upsert-entity invoker', () => {
  it('creates the entity from the inputs as the run actor and lists it as affected', async () => {
    const identifier = uniqueId('req-');
    const created = await px.call('POST', '/api/v1/actions', {
      identifier,
      title: 'Request an environment',
      blueprint: bp,
      operation: 'CREATE',
      inputs: {
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9-]+$' },
          region: { type: 'string', enum: ['eu', 'us'] },
        },
        required: ['name', 'region'],
      },
      invoker: {
        type: 'upsert-entity',
        mapping: {
          jsonata: `{"blueprint": "${bp}", "identifier": inputs.name, "title": inputs.name, "properties": {"region": inputs.region, "ttlHours": 24}}`,
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const listed = await px.call('GET', `/api/v1/actions?blueprint=${bp}`, undefined, { token: memberToken });
    expect(listed.body.actions.map((a: { identifier: string }) => a.identifier)).toContain(identifier);

    const name = uniqueId('env-');
    const run = await px.call(
      'POST',
      `/api/v1/actions/${identifier}/runs`,
      { inputs: { name, region: 'eu' } },
      { token: memberToken },
    );
    expect(run.status).toBe(201);
    const done = await waitFor('the run to end', async () => {
      const r = (await px.call('GET', `/api/v1/runs/${run.body.id}`)).body;
      return r.endedAt ? r : null;
    });
    expect(done).toMatchObject({ status: 'SUCCESS', affectedEntities: [`${bp}:${name}`] });
    const entity = await px.call('GET', `/api/v1/blueprints/${bp}/entities/${name}`);
    expect(entity.body).toMatchObject({ identifier: name, properties: { region: 'eu', ttlHours: 24 } });
  });

  it('ends FAILURE with the validation error when the mapped entity is invalid, writing nothing', async () => {
    const identifier = uniqueId('req-');
    await px.call('POST', '/api/v1/actions', {
      identifier,
      title: 'Broken request',
      blueprint: bp,
      operation: 'CREATE',
      inputs: { properties: { name: { type: 'string' } } },
      invoker: {
        type: 'upsert-entity',
        mapping: {
          jsonata: `{"blueprint": "${bp}", "identifier": inputs.name, "properties": {"region": "mars"}}`,
        },
      },
    });
    const name = uniqueId('env-');
    const run = await px.call('POST', `/api/v1/actions/${identifier}/runs`, { inputs: { name } });
    const done = await waitFor('the run to end', async () => {
      const r = (await px.call('GET', `/api/v1/runs/${run.body.id}`)).body;
      return r.endedAt ? r : null;
    });
    expect(done.status).toBe('FAILURE');
    expect(done.summary).toMatch(/region/);
    expect(done.affectedEntities).toEqual([]);
    expect((await px.call('GET', `/api/v1/blueprints/${bp}/entities/${name}`)).status).toBe(404);
  });
});
