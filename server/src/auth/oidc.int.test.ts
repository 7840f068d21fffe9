import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../config.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// OIDC bearer tokens against a JWKS server on 127.0.0.1: the one key it publishes signs the
// valid tokens; a second key with the same kid forges a signature; a third key is unknown.
let px: TestPlexus;
let jwks: Server;
let signing: CryptoKey;
let forger: CryptoKey;
let stranger: CryptoKey;
const issuer = 'https://idp.example.test/';
const audience = 'plexus-test';
const u = uniqueId('');
const team = `oidc-team-${u}`;

async function listen(keys: JWK[]): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return server;
}

function sign(key: CryptoKey, claims: Record<string, unknown>, options: { kid?: string; aud?: string; exp?: number | string; iss?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setIssuer(options.iss ?? issuer)
    .setAudience(options.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .setSubject(String(claims.sub ?? `alice-${u}`))
    .sign(key);
}

const me = (token: string) => px.call('GET', '/api/v1/users/me', undefined, { token });

beforeAll(async () => {
  const published = await generateKeyPair('RS256', { extractable: true });
  signing = published.privateKey as CryptoKey;
  forger = (await generateKeyPair('RS256')).privateKey as CryptoKey;
  stranger = (await generateKeyPair('RS256')).privateKey as CryptoKey;
  jwks = await listen([{ ...(await exportJWK(published.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }]);
  const auth: AuthConfig = {
    ownerRelation: 'ownedBy',
    rateLimit: { perMinute: 0, burst: 1 },
    failureLimit: { perMinute: 30, burst: 50 },
    corsOrigins: [],
    oidc: {
      jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      issuer,
      audience: [audience],
      clockToleranceSeconds: 30,
      algorithms: ['RS256'],
      claims: { user: 'sub', name: 'name', teams: 'groups', roles: 'realm.roles' },
      roleMap: { 'plexus-admins': 'admin', 'plexus-editors': 'member', 'svc-moderators': 'moderator:service' },
      defaultRole: 'viewer',
    },
  };
  px = await startTestPlexus({ auth });
});
afterAll(async () => {
  await px?.close();
  await new Promise((ok) => jwks?.close(ok));
});

describe('OIDC bearer tokens', () => {
  it('accepts a valid token and maps user, teams and roles from its claims', async () => {
    const token = await sign(signing, { name: 'Alice', groups: [team], realm: { roles: ['plexus-editors', 'svc-moderators', 'unrelated'] } });
    const r = await me(token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: `alice-${u}`, name: 'Alice', kind: 'user', role: 'member', teams: [team], moderates: ['service'] });
  });

  it('gives the default role when no role claim maps', async () => {
    const r = await me(await sign(signing, { sub: `bob-${u}` }));
    expect(r.body).toMatchObject({ id: `bob-${u}`, role: 'viewer', teams: [] });
    const write = await px.call('POST', '/api/v1/blueprints', { identifier: uniqueId('oidc'), title: 'x', schema: { properties: {} } }, { token: await sign(signing, { sub: `bob-${u}` }) });
    expect(write.status).toBe(403);
  });

  it('adds what a local user with the same id has, and refuses a disabled one', async () => {
    const id = `carol-${u}`;
    expect((await px.call('POST', '/api/v1/users', { id, role: 'admin', teams: ['local-team'] })).status).toBe(201);
    const r = await me(await sign(signing, { sub: id, groups: [team] }));
    expect(r.body).toMatchObject({ id, role: 'admin' });
    expect(r.body.teams.sort()).toEqual(['local-team', team].sort());
    expect((await px.call('PATCH', `/api/v1/users/${id}`, { disabled: true })).status).toBe(200);
    // Cached local users are forgotten when users change: the next request is refused.
    expect((await me(await sign(signing, { sub: id }))).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const r = await me(await sign(signing, {}, { exp: Math.floor(Date.now() / 1000) - 120 }));
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    expect((await me(await sign(signing, {}, { exp: Math.floor(Date.now() / 1000) - 5 }))).status).toBe(200);
  });

  it('refuses a token for another audience or from another issuer', async () => {
    expect((await me(await sign(signing, {}, { aud: 'another-app' }))).status).toBe(401);
    expect((await me(await sign(signing, {}, { iss: 'https://evil.example.test/' }))).status).toBe(401);
  });

  it('refuses a token with a wrong signature', async () => {
    expect((await me(await sign(forger, {}, { kid: 'k1' }))).status).toBe(401);
    const valid = await sign(signing, {});
    const [h, p] = valid.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), realm: { roles: ['plexus-admins'] } })).toString('base64url')}.${valid.split('.')[2]}`;
    expect((await me(tampered)).status).toBe(401);
  });

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    expect((await me(await sign(stranger, {}, { kid: 'k2' }))).status).toBe(401);
  });

  it('refuses an unsigned token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'mallory', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    expect((await me(`${header}.${body}.`)).status).toBe(401);
  });

  it('still accepts API tokens next to JWTs', async () => {
    expect((await me(px.adminToken)).status).toBe(200);
  });
});
