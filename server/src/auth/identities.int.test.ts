import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Users, teams and tokens through the admin API: who may manage what, and that changes to
// users, teams and tokens take effect on the next request.
let px: TestPlexus;
const u = uniqueId('');
const memberId = `member-${u}`;
const otherId = `other-${u}`;
let memberToken: string;

beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/users', { id: memberId, name: 'Member', email: 'm@example.test', role: 'member' })).status).toBe(201);
  expect((await px.call('POST', '/api/v1/users', { id: otherId, kind: 'service', role: 'member' })).status).toBe(201);
  memberToken = (await px.call('POST', '/api/v1/tokens', { name: 'm', role: 'member', user: memberId })).body.token;
});
afterAll(async () => {
  await px?.close();
});

const asMember = (method: string, path: string, body?: unknown) => px.call(method, path, body, { token: memberToken });

describe('users and teams', () => {
  it('are managed by admins only; everyone may see who they are and the teams', async () => {
    expect((await asMember('GET', '/api/v1/users')).status).toBe(403);
    expect((await asMember('POST', '/api/v1/users', { id: `x-${u}`, role: 'admin' })).status).toBe(403);
    expect((await asMember('PATCH', `/api/v1/users/${memberId}`, { role: 'admin' })).status).toBe(403);
    expect((await asMember('POST', '/api/v1/teams', { identifier: `t-${u}` })).status).toBe(403);
    expect((await asMember('GET', '/api/v1/teams')).status).toBe(200);
    const me = await asMember('GET', '/api/v1/users/me');
    expect(me.body).toMatchObject({ id: memberId, name: 'Member', kind: 'user', role: 'member', teams: [], moderates: [] });
    expect((await asMember('GET', `/api/v1/users/${memberId}`)).status).toBe(200);
    expect((await asMember('GET', `/api/v1/users/${otherId}`)).status).toBe(403);
  });

  it('validate their input and refuse duplicates', async () => {
    expect((await px.call('POST', '/api/v1/users', { id: memberId, role: 'member' })).status).toBe(409);
    const bad = await px.call('POST', '/api/v1/users', { id: 'has space', role: 'owner', extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['/extra', '/id', '/role']);
    expect((await px.call('POST', '/api/v1/teams', { identifier: `t-${u}`, members: ['nobody'] })).status).toBe(422);
  });

  it('give a user a team\'s access on the next request after joining it', async () => {
    const team = `team-${u}`;
    expect((await px.call('POST', '/api/v1/teams', { identifier: team, title: 'Team' })).status).toBe(201);
    expect((await asMember('GET', '/api/v1/users/me')).body.teams).toEqual([]);
    const put = await px.call('PUT', `/api/v1/teams/${team}`, { members: [memberId] });
    expect(put.body.members).toEqual([memberId]);
    expect((await asMember('GET', '/api/v1/users/me')).body.teams).toEqual([team]);
    const teams = await asMember('GET', '/api/v1/teams');
    expect(teams.body.teams.find((t: { identifier: string }) => t.identifier === team)).toMatchObject({ title: 'Team', members: [memberId] });
  });

  it('stop a disabled or removed user\'s tokens at once', async () => {
    const id = `gone-${u}`;
    await px.call('POST', '/api/v1/users', { id, role: 'member' });
    const token = (await px.call('POST', '/api/v1/tokens', { name: 'g', role: 'member', user: id })).body.token;
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token })).status).toBe(200);
    await px.call('PATCH', `/api/v1/users/${id}`, { disabled: true });
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token })).status).toBe(401);
    await px.call('PATCH', `/api/v1/users/${id}`, { disabled: false });
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token })).status).toBe(200);
    expect((await px.call('DELETE', `/api/v1/users/${id}`)).status).toBe(204);
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token })).status).toBe(401);
  });
});

describe('tokens', () => {
  it('act as their user, never with more than the user\'s role', async () => {
    const t = await px.call('POST', '/api/v1/tokens', { name: 'strong', role: 'admin', user: memberId });
    const me = await px.call('GET', '/api/v1/users/me', undefined, { token: t.body.token });
    expect(me.body).toMatchObject({ id: memberId, role: 'member', tokenId: t.body.id });
  });

  it('let users create, list and revoke their own tokens within their role', async () => {
    expect((await asMember('POST', '/api/v1/tokens', { name: 'up', role: 'admin' })).status).toBe(403);
    expect((await asMember('POST', '/api/v1/tokens', { name: 'theirs', role: 'viewer', user: otherId })).status).toBe(403);
    const own = await asMember('POST', '/api/v1/tokens', { name: 'mine', role: 'viewer', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(own.status).toBe(201);
    const list = await asMember('GET', '/api/v1/tokens');
    expect(list.body.tokens.every((t: { userId: string }) => t.userId === memberId)).toBe(true);
    expect(list.body.tokens.map((t: { id: string }) => t.id)).toContain(own.body.id);
    const others = (await px.call('POST', '/api/v1/tokens', { name: 'o', role: 'member', user: otherId })).body;
    expect((await asMember('DELETE', `/api/v1/tokens/${others.id}`)).status).toBe(403);
    expect((await asMember('DELETE', `/api/v1/tokens/${own.body.id}`)).status).toBe(204);
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token: own.body.token })).status).toBe(401);
  });

  it('expire, and record when they were last used', async () => {
    const expired = await px.call('POST', '/api/v1/tokens', { name: 'old', role: 'viewer', user: memberId, expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token: expired.body.token })).status).toBe(401);
    const fresh = await px.call('POST', '/api/v1/tokens', { name: 'fresh', role: 'viewer', user: memberId });
    await px.call('GET', '/api/v1/users/me', undefined, { token: fresh.body.token });
    const listed = (await px.call('GET', `/api/v1/tokens?user=${memberId}`)).body.tokens.find((t: { id: string }) => t.id === fresh.body.id);
    expect(Date.parse(listed.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('keep the moderation of their user out of read-only (viewer) tokens', async () => {
    const id = `mod-${u}`;
    await px.call('POST', '/api/v1/users', { id, role: 'member', moderates: ['service'] });
    const viewer = (await px.call('POST', '/api/v1/tokens', { name: 'ro', role: 'viewer', user: id })).body.token;
    expect((await px.call('GET', '/api/v1/users/me', undefined, { token: viewer })).body).toMatchObject({ role: 'viewer', moderates: [] });
  });
});
