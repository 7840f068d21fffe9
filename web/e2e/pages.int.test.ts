import type { Browser, Page } from 'playwright-core';
import { demoEntities } from '../../server/src/demo/demo-organisation.ts';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { uniqueId } from '../../server/src/test-support.ts';
import {
  docsScreenshot,
  launchBrowser,
  newPage,
  openSettled,
  screenshot,
  seedDemo,
  signIn,
  startUiServer,
  type UiServer,
  watchProblems,
} from './support.ts';

// Every page of the demo in real Chromium, listening for console errors, page errors, failed
// requests and CSP violations; plus the home page, identifiers with reserved characters and the
// relation picker. The demo's kinds are fixed names, so this file seeds the demo into the shared
// database (upserts: other files seeding it too do no harm).
let server: UiServer;
let browser: Browser;
let memberToken: string;
const u = uniqueId('');
/** Identifiers a Backstage import produces, and worse: `/`, `?`, `#`, `%`, a space. */
const reserved = ['alternative/different-namespace', `odd ?#%& name ${u}`];

beforeAll(async () => {
  [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
  const { px } = server;
  await seedDemo(px, { services: 12 });
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r as { status: number; body: any };
  };
  ok(
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: reserved.map((identifier) => ({
        blueprint: 'service',
        identifier,
        title: `Service ${identifier}`,
        properties: { language: 'java', lifecycle: 'production', tier: 3 },
        relations: { ownedBy: 'order-team', dependsOn: ['library:core-kafka'] },
      })),
    }),
  );
  // A member of the generated "engineering" team: their home page is about it.
  ok(
    await px.call('POST', '/api/v1/users', {
      id: `uma-${u}`,
      name: 'Uma Haddad',
      role: 'member',
      teams: ['engineering'],
    }),
  );
  memberToken = ok(
    await px.call('POST', '/api/v1/tokens', { name: 'home', role: 'member', user: `uma-${u}` }),
  ).body.token;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, 120_000);

async function pageFor(name: string): Promise<Page> {
  const page = await newPage(browser);
  page.setDefaultTimeout(60_000);
  onTestFailed(async () => {
    await screenshot(page, `failed-${name}`).catch(() => {});
  });
  return page;
}

/**
 * The blueprint and identifier of the demo's first entity of `blueprint`, from the generator
 * itself (as `seedDemo` writes it): the shared database also holds other files' entities of the
 * same kinds, which they may delete while this test visits them.
 */
function firstOf(blueprint: string): [string, string] {
  for (const e of demoEntities({ services: 12, seed: 7 }))
    if (e.blueprint === blueprint) return [blueprint, e.identifier];
  throw new Error(`the demo has no ${blueprint}`);
}

describe('every page of the demo', () => {
  it('opens without console errors, page errors or failed requests', async () => {
    const page = await pageFor('every-page');
    const problems = await watchProblems(page);
    await signIn(page, server.url, server.px.adminToken, '/');
    const blueprints = server.px.services.models.current();
    const entity = (bp: string, id: string) =>
      `/entities/${encodeURIComponent(bp)}/${encodeURIComponent(id)}`;
    const routes = [
      '/',
      ...[...blueprints.keys()]
        .filter(
          (b) =>
            ['service', 'team', 'library', 'api', 'system', 'incident'].includes(b) || b === 'vulnerability',
        )
        .map((b) => `/catalog/${b}`),
      // The Order example, on the same kinds as the generated organisation.
      entity('service', 'cart-service'),
      entity('team', 'order-team'),
      entity('api', 'cart-api'),
      // The generated organisation's identifiers are hashed: open the first of each kind.
      ...['service', 'team', 'library', 'incident'].map(firstOf).map(([bp, id]) => entity(bp, id)),
      ...reserved.map((id) => entity('service', id)),
      `/graph?root=${encodeURIComponent(`service:${firstOf('service')[1]}`)}`,
      '/scorecards',
      '/scorecards/production-readiness',
      '/model',
      '/model/service',
      '/actions',
      '/actions/new',
      '/runs',
      '/approvals',
    ];
    const visited: string[] = [];
    for (const path of routes) {
      await openSettled(page, server.url, path);
      visited.push(path);
      expect(problems(), `after ${path}`).toEqual([]);
    }
    expect(visited).toHaveLength(routes.length);
    await page.context().close();
  }, 900_000);
});

describe('identifiers with reserved characters', () => {
  it('open from the catalog, and the entity page asks the API for the identifier encoded once', async () => {
    const page = await pageFor('reserved-identifiers');
    const problems = await watchProblems(page);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/blueprints/service/entities/')) asked.push(r.url());
    });
    await signIn(page, server.url, server.px.adminToken, '/catalog/service');
    for (const id of reserved) {
      await openSettled(page, server.url, `/entities/service/${encodeURIComponent(id)}`);
      await expect
        .poll(() => page.getByTestId('entity-title').innerText(), { timeout: 60_000 })
        .toBe(`Service ${id}`);
      expect(asked.some((url) => url.includes(`/entities/${encodeURIComponent(id)}`))).toBe(true);
    }
    expect(asked.filter((url) => url.includes('%25'))).toEqual(
      asked.filter((url) => url.includes(encodeURIComponent(reserved[1]))),
    );
    expect(asked.some((url) => url.includes('%252F'))).toBe(false);
    expect(problems()).toEqual([]);
    await page.context().close();
  }, 300_000);
});

describe('the home page', () => {
  it('shows a team member their team, what it owns and its state, and searches the catalog', async () => {
    const page = await pageFor('home');
    const problems = await watchProblems(page);
    await signIn(page, server.url, memberToken, '/');
    const me = page.getByTestId('home-me');
    await me.getByTestId('my-teams').getByText('engineering', { exact: false }).first().waitFor();
    await expect
      .poll(() => me.getByTestId('owned-kinds').innerText(), { timeout: 60_000 })
      .toMatch(/Service/);
    await expect
      .poll(() => me.getByTestId('my-scorecards').innerText(), { timeout: 60_000 })
      .toMatch(/Production readiness/);
    await me.getByTestId('my-recent').locator('.chip').first().waitFor();
    await page.getByTestId('kind-tiles').locator('.tile').first().waitFor();
    await page.waitForLoadState('networkidle', { timeout: 60_000 }).catch(() => {});
    await docsScreenshot(page, 'home');
    // The search box leads to an entity page.
    await page.locator('#home-search-input').fill('Cart Service');
    await page.getByTestId('picker-hit').filter({ hasText: 'Cart Service' }).first().click();
    await expect
      .poll(() => page.getByTestId('entity-title').innerText(), { timeout: 60_000 })
      .toBe('Cart Service');
    expect(problems()).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('falls back to the organisation overview for an admin without a team', async () => {
    const page = await pageFor('home-admin');
    await signIn(page, server.url, server.px.adminToken, '/');
    await page.getByTestId('kind-tiles').locator('.tile').first().waitFor();
    await page.waitForLoadState('networkidle', { timeout: 60_000 }).catch(() => {});
    expect(await page.getByTestId('home-me').count()).toBe(0);
    await page.context().close();
  }, 300_000);
});

describe('the entity form', () => {
  it('flags a relation target that does not exist and saves nothing', async () => {
    const page = await pageFor('relation-picker');
    const problems = await watchProblems(page);
    await signIn(page, server.url, server.px.adminToken, '/catalog/service');
    await page.getByTestId('new-entity').click();
    const form = page.getByTestId('entity-form');
    const id = `picker-${u}`;
    await form.locator('#ef-identifier').fill(id);
    // The sdlc service's required properties.
    await form.locator('#ef-p-language').selectOption('go');
    await form.locator('#ef-p-lifecycle').selectOption('production');
    await form.locator('#ef-p-tier').selectOption('2');
    // Typed by hand, not picked: "Cart" is no team.
    await form.locator('#ef-r-ownedBy').fill('Cart');
    await form.getByRole('button', { name: /Use\s+Cart/ }).click();
    await form.locator('[data-testid="relation-chip"][data-status="missing"]').waitFor({ timeout: 60_000 });
    await form.getByTestId('save-entity').click();
    await expect
      .poll(() => form.getByTestId('relation-field-ef-r-ownedBy').locator('..').innerText(), {
        timeout: 60_000,
      })
      .toMatch(/No Team( \(team\))? “Cart” exists/);
    expect((await server.px.call('GET', `/api/v1/blueprints/service/entities/${id}`)).status).toBe(404);
    // Picking an existing team from the search results replaces it and the entity saves.
    await form.getByRole('button', { name: 'Remove Cart' }).click();
    await form.locator('#ef-r-ownedBy').fill('engineering');
    await form.getByTestId('picker-hit').filter({ hasText: 'engineering' }).first().click();
    await form.locator('[data-testid="relation-chip"][data-status="exists"]').waitFor();
    await form.getByTestId('save-entity').click();
    await expect
      .poll(
        async () =>
          (await server.px.call('GET', `/api/v1/blueprints/service/entities/${id}`)).body?.relations?.ownedBy,
        { timeout: 60_000 },
      )
      .toBe('engineering');
    expect(problems()).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('asks in an in-app dialog before deleting, and keeps the entity when cancelled', async () => {
    const page = await pageFor('confirm-dialog');
    await signIn(
      page,
      server.url,
      server.px.adminToken,
      `/entities/service/${encodeURIComponent(reserved[0])}`,
    );
    await page.getByTestId('entity-title').waitFor();
    page.on('dialog', () => {
      throw new Error('a native dialog opened');
    });
    await page
      .getByRole('button', { name: /Delete/ })
      .first()
      .click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(
      (await server.px.call('GET', `/api/v1/blueprints/service/entities/${encodeURIComponent(reserved[0])}`))
        .status,
    ).toBe(200);
    await page.context().close();
  }, 300_000);
});
