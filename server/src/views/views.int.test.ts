import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

let px: TestPlexus;
let bp: string;
let memberToken: string;
let otherMemberToken: string;
let viewerToken: string;

const definition = {
  columns: ['title', 'tier', 'ownedBy'],
  sort: { field: 'identifier', direction: 'ASC' },
  filters: [{ field: 'tier', op: 'eq', value: 1 }],
};

beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('vw');
  await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Viewed',
    schema: { properties: { tier: { type: 'integer' } } },
  });
  const token = async (name: string, role: string) =>
    (await px.call('POST', '/api/v1/tokens', { name, role })).body.token as string;
  memberToken = await token(uniqueId('member'), 'member');
  otherMemberToken = await token(uniqueId('other'), 'member');
  viewerToken = await token(uniqueId('viewer'), 'viewer');
});
afterAll(async () => {
  await px?.close();
});

describe('saved views', () => {
  it('stores a view and lists it for its blueprint with its definition intact', async () => {
    const created = await px.call(
      'POST',
      '/api/v1/views',
      { blueprint: bp, name: 'Tier 1', definition },
      { token: memberToken },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ blueprint: bp, name: 'Tier 1', definition });
    expect(created.body.id).toEqual(expect.any(String));
    expect(created.body.createdAt).toEqual(expect.any(String));

    const listed = await px.call('GET', `/api/v1/views?blueprint=${bp}`, undefined, { token: viewerToken });
    expect(listed.status).toBe(200);
    expect(listed.body.views.map((v: { name: string }) => v.name)).toEqual(['Tier 1']);
    expect((await px.call('GET', `/api/v1/views/${created.body.id}`)).body.definition).toEqual(definition);
  });

  it('refuses a second view with the same name on the same blueprint', async () => {
    await px.call('POST', '/api/v1/views', { blueprint: bp, name: 'Dup', definition: {} });
    const again = await px.call('POST', '/api/v1/views', { blueprint: bp, name: 'dup', definition: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.details[0].path).toBe('/name');
  });

  it('answers 422 with a detail per field for an unknown blueprint, a missing name and a non-object definition', async () => {
    const r = await px.call('POST', '/api/v1/views', {
      blueprint: uniqueId('nope'),
      name: ' ',
      definition: [1],
    });
    expect(r.status).toBe(422);
    expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      '/blueprint',
      '/definition',
      '/name',
    ]);
  });

  it('lets the author rename and redefine a view', async () => {
    const { body: view } = await px.call(
      'POST',
      '/api/v1/views',
      { blueprint: bp, name: 'Draft', definition: {} },
      { token: memberToken },
    );
    const r = await px.call(
      'PUT',
      `/api/v1/views/${view.id}`,
      { name: 'Final', definition: { columns: ['tier'] } },
      { token: memberToken },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Final',
      definition: { columns: ['tier'] },
      createdBy: view.createdBy,
    });
    expect(r.body.updatedAt).toEqual(expect.any(String));
  });

  it('keeps other members and viewers from changing or deleting a view they did not write; admins may', async () => {
    const { body: view } = await px.call(
      'POST',
      '/api/v1/views',
      { blueprint: bp, name: uniqueId('mine'), definition: {} },
      { token: memberToken },
    );
    expect(
      (await px.call('PUT', `/api/v1/views/${view.id}`, { name: 'Hijacked' }, { token: otherMemberToken }))
        .status,
    ).toBe(403);
    expect(
      (await px.call('DELETE', `/api/v1/views/${view.id}`, undefined, { token: viewerToken })).status,
    ).toBe(403);
    expect(
      (
        await px.call(
          'POST',
          '/api/v1/views',
          { blueprint: bp, name: 'viewer', definition: {} },
          { token: viewerToken },
        )
      ).status,
    ).toBe(403);
    expect((await px.call('DELETE', `/api/v1/views/${view.id}`)).status).toBe(200);
    expect((await px.call('GET', `/api/v1/views/${view.id}`)).status).toBe(404);
  });

  it('hides views of a blueprint the caller may not read, and refuses to save one there', async () => {
    const secret = uniqueId('vwsec');
    await px.call('POST', '/api/v1/blueprints', {
      identifier: secret,
      title: 'Secret',
      schema: { properties: {} },
      permissions: { read: { roles: ['admin'] } },
    });
    const { body: view } = await px.call('POST', '/api/v1/views', { blueprint: secret, name: 'Hidden', definition: {} });
    expect(view.id).toEqual(expect.any(String));

    const listed = await px.call('GET', '/api/v1/views', undefined, { token: memberToken });
    expect(listed.body.views.map((v: { blueprint: string }) => v.blueprint)).not.toContain(secret);
    expect((await px.call('GET', '/api/v1/views', undefined)).body.views.map((v: { id: string }) => v.id)).toContain(view.id);
    expect((await px.call('GET', `/api/v1/views/${view.id}`, undefined, { token: memberToken })).status).toBe(404);
    const saved = await px.call('POST', '/api/v1/views', { blueprint: secret, name: 'Mine', definition: {} }, { token: memberToken });
    expect(saved.status).toBe(403);
    expect(saved.body.error.message).toContain(secret);
  });

  it('answers 401 without a token', async () => {
    expect((await px.call('GET', '/api/v1/views', undefined, { token: null })).status).toBe(401);
  });
});
