import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { uniqueId } from '../../server/src/test-support.ts';
import {
  launchBrowser,
  newPage,
  nodeCount,
  nodePosition,
  screenshot,
  signIn,
  startUiServer,
  type UiServer,
} from './support.ts';

// The real UI on the real server and Neo4j, in headless Chromium. Blueprint identifiers are
// unique to this run because the database is shared with other test files.
let server: UiServer;
let browser: Browser;
const team = uniqueId('team');
const svc = uniqueId('svc');
const db = uniqueId('db');
const kind = uniqueId('queue');
let token: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
  const { px } = server;
  token = px.adminToken;
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: team,
      title: 'Team',
      icon: 'team',
      schema: { properties: { email: { type: 'string', format: 'email', title: 'Email' } } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: db,
      title: 'Database',
      icon: 'resource',
      schema: { properties: { engine: { type: 'string', enum: ['postgres', 'mysql'] } } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: svc,
      title: 'Service',
      icon: 'service',
      description: 'A deployable unit of software.',
      schema: {
        properties: {
          language: { type: 'string', title: 'Language', enum: ['go', 'ts', 'java'] },
          tier: { type: 'integer', title: 'Tier', minimum: 1, maximum: 3 },
          repo: { type: 'string', title: 'Repository', format: 'url' },
          lastDeploy: { type: 'string', title: 'Last deploy', format: 'date-time' },
          readme: { type: 'string', title: 'Readme', format: 'markdown' },
          tags: { type: 'array', title: 'Tags', items: { type: 'string' } },
        },
        required: ['language'],
      },
      relations: {
        ownedBy: { title: 'Owned by', target: team, many: false },
        dependsOn: { title: 'Depends on', target: svc, many: true, inverse: 'dependents' },
        usesDatabase: { title: 'Uses database', target: db, many: true },
      },
    }),
  );
  const day = 86_400_000;
  ok(
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        {
          blueprint: team,
          identifier: 'payments',
          title: 'Payments',
          properties: { email: 'payments@example.com' },
        },
        { blueprint: team, identifier: 'discovery', title: 'Discovery' },
        { blueprint: db, identifier: 'cart-db', title: 'Cart DB', properties: { engine: 'postgres' } },
        {
          blueprint: svc,
          identifier: 'cart',
          title: 'Cart',
          properties: {
            language: 'ts',
            tier: 1,
            repo: 'https://git.example.com/shop/cart',
            lastDeploy: new Date(Date.now() - 2 * day).toISOString(),
            readme: '# Cart\n\nHolds **baskets** until checkout.',
            tags: ['pci', 'core'],
          },
          relations: { ownedBy: 'payments', usesDatabase: ['cart-db'] },
        },
        {
          blueprint: svc,
          identifier: 'checkout',
          title: 'Checkout',
          properties: {
            language: 'go',
            tier: 1,
            repo: 'https://git.example.com/shop/checkout',
            lastDeploy: new Date(Date.now() - 5 * day).toISOString(),
          },
          relations: { ownedBy: 'payments', dependsOn: ['cart'] },
        },
        {
          blueprint: svc,
          identifier: 'storefront',
          title: 'Storefront',
          properties: { language: 'ts', tier: 2 },
          relations: { ownedBy: 'discovery', dependsOn: ['checkout', 'cart'] },
        },
        {
          blueprint: svc,
          identifier: 'finder',
          title: 'Finder',
          properties: { language: 'java', tier: 3 },
          relations: { ownedBy: 'discovery' },
        },
      ],
    }),
  );
});

afterAll(async () => {
  await browser?.close();
  // The blueprint made in the editor is not tracked by the test helper; it goes first (it targets the team).
  await server?.px.call('DELETE', `/api/v1/blueprints/${kind}?force=true`);
  await server?.close();
});

// The shared Neo4j is busy with other suites; a first query plan can take seconds.
const patience = { timeout: 20_000, interval: 100 };

/** A page for one test; on failure its screen is saved as failed-<name>.png to show what went wrong. */
async function pageFor(name: string): Promise<Page> {
  const page = await newPage(browser);
  onTestFailed(async () => {
    await screenshot(page, `failed-${name}`).catch(() => {});
  });
  return page;
}

const rowIds = (page: Page) =>
  page
    .locator('[data-testid="catalog-table"] tbody tr[data-identifier]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-identifier')));

async function waitForRows(page: Page, expected: string[]): Promise<void> {
  await expect.poll(() => rowIds(page), patience).toEqual(expected);
}

async function addFilter(
  page: Page,
  field: string,
  op: string,
  value?: string,
  pick?: string,
): Promise<void> {
  await page.getByTestId('add-filter-button').click();
  const form = page.getByTestId('filter-builder');
  await form.getByLabel('Field').selectOption({ label: field });
  await form.getByLabel('Condition').selectOption({ label: op });
  if (pick) {
    await form.getByTestId('entity-picker').fill(pick);
    await form.getByTestId('picker-hit').filter({ hasText: pick }).first().click();
  } else {
    if (value !== undefined) await form.getByLabel('Value').fill(value);
    await form.getByTestId('add-filter').click();
  }
}

describe('web UI', () => {
  it('signs in with a token, refuses a wrong one, and lists the blueprints', async () => {
    const page = await pageFor('sign-in');
    await page.goto(`${server.url}/`);
    await page.getByTestId('sign-in').waitFor();
    await screenshot(page, '01-sign-in');
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), patience).toContain('not accepted');

    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`.sidebar [data-blueprint="${svc}"]`).waitFor();
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate(() => sessionStorage.getItem('plexus.token'))).toBe(token);
    await page.locator(`[data-testid="kind-tiles"] a[href="/catalog/${svc}"]`).waitFor();
    await expect
      .poll(
        () => page.locator(`[data-testid="kind-tiles"] a[href="/catalog/${svc}"] .tile-count`).textContent(),
        patience,
      )
      .toBe('4');
    await screenshot(page, '02-overview');
    await page.context().close();
  });

  it('browses a blueprint table, filters by property and by related entity, and saves the view', async () => {
    const page = await pageFor('catalog');
    await signIn(page, server.url, token, `/catalog/${svc}`);
    await waitForRows(page, ['cart', 'checkout', 'finder', 'storefront']);
    expect(await page.getByTestId('total-count').textContent()).toBe('4');
    expect(await page.locator('th[data-column="ownedBy"]').textContent()).toContain('Owned by');

    await page.getByTestId('quick-filter').fill('Store');
    await waitForRows(page, ['storefront']);
    await page.getByTestId('quick-filter').fill('');
    await waitForRows(page, ['cart', 'checkout', 'finder', 'storefront']);

    await addFilter(page, 'Owned by', 'is', undefined, 'Discovery');
    await waitForRows(page, ['finder', 'storefront']);
    await addFilter(page, 'Tier', '≥', '3');
    await waitForRows(page, ['finder']);
    expect(await page.getByTestId('filter-chip').allTextContents()).toEqual([
      'Owned by is “Discovery”',
      'Tier ≥ “3”',
    ]);

    // The filters are in the URL: a reload (same tab, same session) shows the same table.
    expect(decodeURIComponent(page.url())).toContain('"field":"ownedBy"');
    await page.reload();
    await waitForRows(page, ['finder']);

    await page.getByTestId('filter-chip').nth(1).getByRole('button', { name: 'Remove filter' }).click();
    await waitForRows(page, ['finder', 'storefront']);
    await page.getByTestId('columns-button').click();
    await page.getByTestId('column-picker').getByLabel('Tags').check();
    await page.keyboard.press('Escape');
    await page.locator('th[data-column="tags"]').waitFor();

    await page.getByTestId('save-view').click();
    await page.locator('#view-name').fill('Discovery services');
    await page.getByRole('button', { name: 'Save for everyone' }).click();
    await expect
      .poll(() => page.getByTestId('views-menu').textContent(), patience)
      .toContain('Discovery services');
    expect(page.url()).toContain('view=');
    const views = await server.px.call('GET', `/api/v1/views?blueprint=${svc}`);
    expect(views.body.views.map((v: { name: string }) => v.name)).toEqual(['Discovery services']);
    await waitForRows(page, ['finder', 'storefront']);
    await screenshot(page, '03-catalog-filtered');

    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshot(page, '04-catalog-dark');
    await page.context().close();
  });

  it('opens an entity with typed properties, relations in both directions and its neighbourhood', async () => {
    const page = await pageFor('entity');
    await signIn(page, server.url, token, `/catalog/${svc}`);
    await waitForRows(page, ['cart', 'checkout', 'finder', 'storefront']);
    await page.locator('tr[data-identifier="cart"] a.entity-link').click();
    await page.getByTestId('entity-title').waitFor();
    expect(await page.getByTestId('entity-title').textContent()).toBe('Cart');
    const props = page.getByTestId('entity-properties');
    expect(await props.locator('[data-property="language"] .badge').textContent()).toBe('ts');
    // Links sit in the About card under their titles, not among the properties.
    const repo = page.getByTestId('about-links').locator('a');
    expect(await repo.allTextContents()).toEqual(['Repository ↗']);
    expect(await repo.getAttribute('href')).toBe('https://git.example.com/shop/cart');
    expect(await page.getByTestId('about-owner').textContent()).toContain('Payments');
    expect(await props.locator('[data-property="readme"] h1').textContent()).toBe('Cart');
    expect(await props.locator('[data-property="lastDeploy"] time').textContent()).toContain('2 days ago');

    expect(await page.getByTestId('provenance').textContent()).toContain('Last updated');

    await page.getByRole('tab', { name: /Relations/ }).click();
    const relations = page.getByTestId('entity-relations');
    await expect
      .poll(
        () => relations.locator('[data-relation="dependsOn"][data-direction="in"] .chip').allTextContents(),
        patience,
      )
      .toEqual(['Checkout', 'Storefront']);
    expect(
      await relations.locator('[data-relation="ownedBy"][data-direction="out"] .chip').allTextContents(),
    ).toEqual(['Payments']);
    expect(
      await relations.locator('[data-relation="usesDatabase"][data-direction="out"] .chip').allTextContents(),
    ).toEqual(['Cart DB']);
    // Relations without entities fold into one line.
    expect(await relations.getByTestId('empty-relations').textContent()).toBe('None yet: Depends on');
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect.poll(() => nodeCount(page, 'neighbourhood-graph'), patience).toBe(5);
    await page.locator('[data-testid="neighbourhood-graph"][data-ready="true"]').waitFor();
    await screenshot(page, '05-entity');
    await page.context().close();
  });

  it('expands the graph from an entity on click and highlights its blast radius', async () => {
    const page = await pageFor('graph');
    await signIn(
      page,
      server.url,
      token,
      `/graph?root=${encodeURIComponent(`${svc}:checkout`)}&depth=1&layout=concentric`,
    );
    // depth 1 around checkout: cart, storefront, payments.
    await expect.poll(() => page.getByTestId('graph-status').textContent(), patience).toMatch(/^4 nodes/);

    const cart = await nodePosition(page, 'graph-canvas', `${svc}:cart`);
    expect(cart).not.toBeNull();
    await page.mouse.click(cart!.x, cart!.y);
    // Expanding cart brings in its database.
    await expect.poll(() => page.getByTestId('graph-status').textContent(), patience).toMatch(/^5 nodes/);
    expect(await page.getByTestId('graph-selection').textContent()).toContain('Cart');
    expect(await page.getByTestId('graph-legend').textContent()).toContain('Database');

    await page.getByTestId('blast-radius').click();
    await expect
      .poll(() => page.locator('.alert.warning').textContent(), patience)
      .toContain('2 entities depend on');
    // The impact panel beside it: counts per kind, teams and on-call, and a bar per kind.
    await expect.poll(() => page.getByTestId('impact-affected').textContent(), patience).toMatch(/^affected: \d+ .*, \d+ teams?, \d+ on-call$/);
    await expect.poll(() => page.locator('[data-testid="impact-chart"] [data-testid="aggregate-bar"]').count(), patience).toBeGreaterThan(0);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-png').click();
    expect((await download).suggestedFilename()).toMatch(/\.png$/);
    await screenshot(page, '06-graph-explorer');
    await page.context().close();
  });

  it('creates a blueprint in the editor, shows the server’s validation next to the field, adds an entity and sees it in the table', async () => {
    const page = await pageFor('model');
    await signIn(page, server.url, token, '/model/new');
    const form = page.getByTestId('blueprint-form');
    await form.locator('#bp-identifier').fill('Bad-Identifier');
    await form.locator('#bp-title').fill('Queue');
    await form.getByTestId('property-name').first().fill('region');
    await form.getByLabel('Allowed values').fill('eu, us');
    await form.getByTestId('save-blueprint').click();
    await page.getByTestId('blueprint-errors').waitFor();
    expect(
      await form
        .locator('#bp-identifier + .field-error, #bp-identifier ~ .field-error')
        .first()
        .textContent(),
    ).toMatch(/identifier/i);

    await form.locator('#bp-identifier').fill(kind);
    await form.getByTestId('add-relation').click();
    const rel = form.getByTestId('relation-row').first();
    await rel.getByLabel('Name', { exact: true }).fill('ownedBy');
    await rel.getByLabel('Target').selectOption(team);
    await form.getByTestId('save-blueprint').click();
    await page.waitForURL(`**/model/${kind}`);
    await page.locator(`.sidebar [data-blueprint="${kind}"]`).waitFor();
    // The editor is done once the blueprint is stored; GraphQL catches up behind a notice.
    await expect
      .poll(() => page.getByTestId('schema-notice').getAttribute('data-state'), patience)
      .toBe('updated');
    expect(await page.getByTestId('schema-notice').textContent()).toBe('GraphQL updated');
    await expect.poll(() => nodeCount(page, 'model-graph'), patience).toBeGreaterThanOrEqual(4);
    await screenshot(page, '07-model-editor');

    await page.getByTestId('open-catalog').click();
    await page.getByTestId('catalog-page').waitFor();
    await page.getByTestId('new-entity').click();
    const entityForm = page.getByTestId('entity-form');
    await entityForm.locator('#ef-identifier').fill('orders');
    await entityForm.locator('#ef-title').fill('Orders queue');
    await entityForm.locator('select[name="region"]').selectOption('eu');
    // Relation fields are entity pickers: type, then pick the hit.
    await entityForm.locator('#ef-r-ownedBy').fill('payments');
    await entityForm.getByTestId('picker-hit').filter({ hasText: 'Payments' }).first().click();
    await entityForm.locator('[data-testid="relation-chip"][data-status="exists"]').waitFor({ timeout: 60_000 });
    await entityForm.getByTestId('save-entity').click();
    await waitForRows(page, ['orders']);
    expect(await page.locator('tr[data-identifier="orders"]').textContent()).toContain('Payments');
    await screenshot(page, '08-new-kind-table');
    await page.context().close();
  });
});
