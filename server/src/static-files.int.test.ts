import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { startTestPlexus, type TestPlexus } from './test-support.ts';

// The built UI as `npm start` serves it (createApp's webDist): files, the single-page app's index
// for page paths, nothing outside the folder, and data routes left to the API.
let px: TestPlexus;
let root: string;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  px = await startTestPlexus();
  root = mkdtempSync(join(tmpdir(), 'plexus-static-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Plexus UI</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("plexus")');
  writeFileSync(join(root, 'secret.txt'), 'outside the UI folder');
  app = createApp(px.services, { webDist: dist });
});

afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await px?.close();
});

describe('the built UI', () => {
  it('serves its files with their type and the page CSP', async () => {
    const res = await app.request('/assets/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toBe('console.log("plexus")');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('answers the index for the app root and for page paths the app routes itself', async () => {
    for (const path of ['/', '/catalog/service/checkout', '/assets/']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<title>Plexus UI</title>');
    }
  });

  it('never serves a file outside its folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const res = await app.request(path);
      expect(await res.text(), path).not.toContain('outside the UI folder');
    }
  });

  it('leaves the API its own answers', async () => {
    const res = await app.request('/api/v1/nothing-here', { headers: { authorization: `Bearer ${px.adminToken}` } });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
