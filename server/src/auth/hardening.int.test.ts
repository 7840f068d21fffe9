import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../app.ts';
import { type AuthConfig, readConfig } from '../config.ts';
import { createDriver } from '../db/driver.ts';
import { createLogger } from '../log.ts';
import { createServices, type Services } from '../services.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Request hardening: per-token rate limits, CORS allow-list, security headers, body limits,
// and no secret in the logs.
const origin = 'https://portal.example.test';
const auth: AuthConfig = { ownerRelation: 'ownedBy', oidc: null, rateLimit: { perMinute: 0, burst: 1 }, failureLimit: { perMinute: 30, burst: 50 }, corsOrigins: [origin] };
let px: TestPlexus;
let limited: TestPlexus;

beforeAll(async () => {
  px = await startTestPlexus({ auth, limits: { jsonBodyBytes: 2048, ndjsonBodyBytes: 4096, batchSize: 100, jsonDepth: 64, jsonArrayLength: 100_000, ndjsonLineBytes: 4096 } });
  limited = await startTestPlexus({ auth: { ...auth, rateLimit: { perMinute: 60, burst: 3 } } });
});
afterAll(async () => {
  await px?.close();
  await limited?.close();
});

async function memberToken(on = px): Promise<string> {
  const r = await on.call('POST', '/api/v1/tokens', { name: uniqueId('member'), role: 'member' });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe('rate limits', () => {
  it('answers 429 with Retry-After once a token has used its burst, and only for that token', async () => {
    const token = await memberToken(limited);
    for (let i = 0; i < 3; i++) expect((await limited.call('GET', '/api/v1/blueprints', undefined, { token })).status).toBe(200);
    const refused = await limited.call('GET', '/api/v1/blueprints', undefined, { token });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await limited.call('GET', '/api/v1/blueprints', undefined, { token: await memberToken(limited) })).status).toBe(200);
  });
});

describe('CORS', () => {
  it('allows the listed origin, preflight included', async () => {
    const pre = await px.app.request('/api/v1/blueprints', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('denies every other origin by default', async () => {
    const pre = await px.app.request('/api/v1/blueprints', { method: 'OPTIONS', headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'GET' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await px.call('GET', '/api/v1/blueprints', undefined, { token: await memberToken(), headers: { origin: 'https://evil.example.test' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('headers and limits', () => {
  it('sends security headers, and no-store with a locked-down CSP on API responses', async () => {
    const r = await px.call('GET', '/api/v1/blueprints', undefined, { token: await memberToken() });
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('strict-transport-security')).toContain('max-age=');
    const unauthorized = await px.call('GET', '/api/v1/blueprints', undefined, { token: null });
    expect(unauthorized.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a body over the limit with 413 before reading it all', async () => {
    const r = await px.call('POST', '/api/v1/entities/bulk', { entities: [{ blueprint: 'x', identifier: 'y', title: 'z'.repeat(5000) }] });
    expect(r.status).toBe(413);
  });

  it('never shows a token secret again after creating it', async () => {
    const created = await px.call('POST', '/api/v1/tokens', { name: uniqueId('shown-once'), role: 'viewer' });
    const list = await px.app.request('/api/v1/tokens', { headers: { authorization: `Bearer ${px.adminToken}` } });
    const text = await list.text();
    expect(text).toContain(created.body.id);
    expect(text).not.toContain(created.body.token);
    expect(text).not.toContain('hash');
  });
});

describe('logs', () => {
  let services: Services;
  let lines: string[];
  let app: ReturnType<typeof createApp>;
  const adminToken = `log-admin-${uniqueId('')}`;

  beforeAll(async () => {
    lines = [];
    const base = readConfig({ NEO4J_URI: inject('neo4jUri'), NEO4J_USER: inject('neo4jUser'), NEO4J_PASSWORD: inject('neo4jPassword'), PLEXUS_ADMIN_TOKEN: adminToken, PLEXUS_CONFIG: '/dev/null' } as NodeJS.ProcessEnv);
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const config = { ...base, graphql: { rebuildDebounceMs: 20, modelPollMs: 0 }, demo: false };
    services = await createServices(config, { driver: createDriver({ ...config.neo4j, uri: config.neo4j.uri! }) }, logger, { eagerSchema: false });
    app = createApp(services);
  });
  afterAll(async () => {
    services?.stop();
    await services?.db.driver.close();
  });

  it('hold no token, valid or not, whatever the request did', async () => {
    const created = await app.request('/api/v1/tokens', { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'logged', role: 'member' }) });
    const { token } = (await created.json()) as { token: string };
    const wrong = `plx_${uniqueId('wrong')}${uniqueId('')}`;
    const requests: [string, RequestInit][] = [
      ['/api/v1/blueprints', { headers: { authorization: `Bearer ${token}` } }],
      ['/api/v1/blueprints/nothing-here/entities', { headers: { authorization: `Bearer ${token}` } }],
      ['/api/v1/entities/bulk', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{not json' }],
      ['/graphql', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ plexusModelVersion }' }) }],
      ['/api/v1/search?q=x', { headers: { authorization: `Bearer ${wrong}` } }],
      ['/api/v1/search?q=x', { headers: { authorization: `Bearer ${token}x` } }],
    ];
    for (const [path, init] of requests) await app.request(path, init);
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(requests.length);
    expect(log).toContain('authentication failed');
    for (const secret of [token, wrong, `${token}x`, adminToken]) expect(log).not.toContain(secret);
    expect(log).not.toContain(token.slice(4, 20));
  });
});
