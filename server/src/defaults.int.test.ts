import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pageCsp } from './app.ts';
import { embeddedNeo4jPassword } from './db/embedded-neo4j.ts';
import { startTestPlexus, type TestPlexus } from './test-support.ts';

// Safe defaults (issue 14, item 7): a password on the Neo4j the tests (and npm start) use, a
// token on /metrics when configured, and the strict CSP on pages.
let px: TestPlexus;
let guarded: TestPlexus;
const metricsToken = 'metrics-secret-4b1d';

beforeAll(async () => {
  px = await startTestPlexus();
  guarded = await startTestPlexus({ metricsToken });
});
afterAll(async () => {
  await px?.close();
  await guarded?.close();
});

describe('Neo4j credentials', () => {
  it('refuses Bolt connections without the password', async () => {
    const uri = inject('neo4jUri');
    for (const auth of [neo4j.auth.basic('neo4j', 'neo4j'), neo4j.auth.basic('neo4j', 'wrong-password')]) {
      const driver = neo4j.driver(uri, auth);
      try {
        await expect(driver.executeQuery('RETURN 1')).rejects.toThrow(
          /auth|credentials|unauthorized|expired/i,
        );
      } finally {
        await driver.close();
      }
    }
    const driver = neo4j.driver(uri, neo4j.auth.basic(inject('neo4jUser'), inject('neo4jPassword')));
    try {
      expect((await driver.executeQuery('RETURN 1 AS ok')).records[0].get('ok')).toEqual(neo4j.int(1));
    } finally {
      await driver.close();
    }
  });

  it('generates the embedded password once, stored with mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-password-'));
    try {
      const first = embeddedNeo4jPassword(join(dir, 'neo4j'));
      expect(first.password.length).toBeGreaterThanOrEqual(32);
      expect(statSync(first.file).mode & 0o777).toBe(0o600);
      expect(embeddedNeo4jPassword(join(dir, 'neo4j')).password).toBe(first.password);
      expect(embeddedNeo4jPassword(join(dir, 'other')).password).not.toBe(first.password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('/metrics', () => {
  it('is open when PLEXUS_METRICS_TOKEN is not set', async () => {
    expect((await px.call('GET', '/metrics', undefined, { token: null })).status).toBe(200);
  });

  it('needs the metrics token when it is set', async () => {
    expect((await guarded.call('GET', '/metrics', undefined, { token: null })).status).toBe(401);
    expect((await guarded.call('GET', '/metrics', undefined, { token: 'wrong' })).status).toBe(401);
    // An API token is not the metrics token.
    expect((await guarded.call('GET', '/metrics', undefined, { token: guarded.adminToken })).status).toBe(
      401,
    );
    const ok = await guarded.call('GET', '/metrics', undefined, { token: metricsToken });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('plexus_http_requests_total');
  });
});

describe('pages', () => {
  it('serve /docs with the strict CSP and no inline script or style', async () => {
    const page = await px.call('GET', '/docs', undefined, { token: null });
    expect(page.headers.get('content-security-policy')).toBe(pageCsp);
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.body).not.toContain('<style');
    const script = await px.call('GET', '/docs/docs.js', undefined, { token: null });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(
      (await px.call('GET', '/docs/docs.css', undefined, { token: null })).headers.get('content-type'),
    ).toMatch(/css/);
  });

  it('serve no GraphiQL page (it would need inline and CDN scripts)', async () => {
    const r = await px.call('GET', '/graphql', undefined, { headers: { accept: 'text/html' } });
    expect(r.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
