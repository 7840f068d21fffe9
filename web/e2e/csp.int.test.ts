import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageCsp } from '../../server/src/app.ts';
import { uniqueId } from '../../server/src/test-support.ts';
import { launchBrowser, newPage, signIn, startUiServer, type UiServer } from './support.ts';

// The UI and /docs under the strict Content-Security-Policy (issue 14, item 7): every page the
// app has is opened, and any violation the browser reports fails the test.
let server: UiServer;
let browser: Browser;
const team = uniqueId('cspteam');
const svc = uniqueId('cspsvc');

/** Records violations from the page's securitypolicyviolation events and the console. */
async function watch(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) console.push(msg.text());
  });
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return async () => [
    ...console,
    ...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])),
  ];
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
  const { px } = server;
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: team,
      title: 'Team',
      schema: { properties: {} },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: svc,
      title: 'Service',
      schema: { properties: { readme: { type: 'string', format: 'markdown' }, tier: { type: 'integer' } } },
      relations: { ownedBy: { target: team, many: false } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: team, identifier: 'core' },
        {
          blueprint: svc,
          identifier: 'cart',
          properties: { readme: '# Cart\n\n*styled* text', tier: 1 },
          relations: { ownedBy: 'core' },
        },
        { blueprint: svc, identifier: 'search', relations: { ownedBy: 'core' } },
      ],
    }),
  );
  // The catalog page reads through GraphQL: wait until the schema knows this file's blueprints
  // (in the full suite other files' blueprint changes keep the builder busy for a while).
  await server.px.services.schemas.ready(server.px.services.models.version());
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('content security policy', () => {
  it('sends the strict policy on the UI, its assets and /docs', async () => {
    for (const path of ['/', '/catalog/x', '/theme.js', '/docs', '/docs/docs.js']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toBe(pageCsp);
    }
    expect(pageCsp).toContain("script-src 'self'");
    // Inline scripts and <style> elements stay forbidden; only style attributes are allowed.
    expect(pageCsp).not.toMatch(/script-src[^;]*unsafe/);
    expect(pageCsp).toContain("style-src-elem 'self';");
    const index = await (await fetch(`${server.url}/`)).text();
    // No inline script: every <script> has a src.
    expect(index.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? []).toEqual([]);
  });

  it('runs every page of the UI without a single violation', async () => {
    const page = await newPage(browser);
    const violations = await watch(page);
    await signIn(page, server.url, server.px.adminToken);
    const visit = async (path: string, ready: string) => {
      await page.goto(`${server.url}${path}`);
      // The machine running the suite is busy: generous waits, never a timed assertion.
      await page.locator(ready).first().waitFor({ timeout: 180_000 });
    };
    await visit('/', '.sidebar');
    await visit(`/catalog/${svc}`, `text=cart`);
    await visit(`/entities/${svc}/cart`, '[data-testid="entity-page"]');
    await visit(
      `/graph?root=${encodeURIComponent(`${svc}:cart`)}&depth=1`,
      '[data-testid="graph-canvas"] canvas',
    );
    await visit('/model', '.sidebar');
    await visit(`/model/${svc}`, '.sidebar');
    await visit('/scorecards', '.sidebar');
    // Dark theme through the same script file.
    await page.evaluate(() => localStorage.setItem('plexus.theme', 'dark'));
    await visit('/', '.sidebar');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await violations()).toEqual([]);
    await page.context().close();
  }, 900_000);

  it('renders /docs from its own script under the policy', async () => {
    const page = await newPage(browser);
    const violations = await watch(page);
    await page.goto(`${server.url}/docs`);
    await page.locator('#ops h2').first().waitFor();
    expect(await page.locator('#ops .op').count()).toBeGreaterThan(10);
    expect(await violations()).toEqual([]);
    await page.context().close();
  });
});
