import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { uniqueId } from '../../server/src/test-support.ts';
import { launchBrowser, newPage, screenshot, signIn, startUiServer, type UiServer } from './support.ts';

// The scorecards page and the entity page's scorecards and history, in headless Chromium on
// the real server and Neo4j. Identifiers are unique to this run: the database is shared.
let server: UiServer;
let browser: Browser;
let token: string;
const team = uniqueId('team');
const svc = uniqueId('svc');
const sc = uniqueId('ready');
// Enough owner-less services that their drill-down needs a second page (the UI reads 50 at a time).
const orphans = Array.from({ length: 54 }, (_, i) => `orphan-${String(i).padStart(2, '0')}`);

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
      schema: { properties: {} },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: svc,
      title: 'Service',
      schema: {
        properties: {
          tier: { type: 'integer', title: 'Tier' },
          runbookUrl: { type: 'string', title: 'Runbook', format: 'url' },
        },
      },
      relations: { ownedBy: { title: 'Owned by', target: team, many: false } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: team, identifier: 'payments', title: 'Payments' },
        {
          blueprint: svc,
          identifier: 'gold-svc',
          title: 'Gold service',
          properties: { tier: 1, runbookUrl: 'https://run.example/gold' },
          relations: { ownedBy: 'payments' },
        },
        {
          blueprint: svc,
          identifier: 'bronze-svc',
          title: 'Bronze service',
          properties: { tier: 2 },
          relations: { ownedBy: 'payments' },
        },
        { blueprint: svc, identifier: 'basic-svc', title: 'Basic service', properties: { tier: 3 } },
        ...orphans.map((identifier) => ({ blueprint: svc, identifier })),
      ],
    }),
  );
  ok(
    await px.call('POST', '/api/v1/scorecards', {
      identifier: sc,
      title: 'Production readiness',
      description: 'What a service needs before it takes traffic.',
      blueprint: svc,
      levels: ['Basic', 'Bronze', 'Silver'],
      rules: [
        {
          identifier: 'has-owner',
          title: 'Has an owner',
          level: 'Bronze',
          cypher: 'EXISTS { (e)-[:OWNED_BY]->() }',
        },
        {
          identifier: 'tier-set',
          title: 'Tier is set',
          level: 'Bronze',
          property: 'tier',
          operator: 'isNotEmpty',
        },
        {
          identifier: 'has-runbook',
          title: 'Has a runbook',
          level: 'Silver',
          property: 'runbookUrl',
          operator: 'isNotEmpty',
        },
      ],
    }),
  );
  // A saved scorecard is evaluated in the background. The GraphQL schema (the sidebar's counts)
  // is built before the browser asks: on a database full of other suites' kinds it takes seconds.
  await Promise.all([px.services.scorecards.idle(), px.services.schemas.ready()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.px.call('DELETE', `/api/v1/scorecards/${sc}`);
  await server?.close();
});

// The shared Neo4j is busy with other suites; a first query plan can take seconds.
const patience = { timeout: 20_000, interval: 100 };

/** A page for one test; on failure its screen is saved as failed-<name>.png. */
async function pageFor(name: string): Promise<Page> {
  const page = await newPage(browser);
  onTestFailed(async () => {
    await screenshot(page, `failed-${name}`).catch(() => {});
  });
  return page;
}

const drillRows = (page: Page) =>
  page
    .locator('[data-testid="drill-down"] tbody tr[data-entity]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entity')));

describe('scorecards UI', () => {
  it('lists scorecards and shows one’s levels, rule pass rates, trend and drill-downs to entities', async () => {
    const page = await pageFor('scorecards');
    await signIn(page, server.url, token, '/scorecards');
    expect(await page.getByTestId('nav-scorecards').getAttribute('class')).toContain('active');
    const row = page.locator(`[data-testid="scorecards-table"] tr[data-scorecard="${sc}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Service');
    expect(await row.locator('td').nth(2).textContent()).toBe('57');
    await row.getByRole('link', { name: 'Production readiness' }).click();
    await page.waitForURL(`**/scorecards/${sc}`);

    const levels = page.getByTestId('level-distribution');
    const count = (level: string) =>
      levels.locator(`[data-level="${level}"] [data-testid="level-count"]`).textContent();
    await expect.poll(() => count('Basic'), patience).toBe('55');
    expect(await count('Bronze')).toBe('1');
    expect(await count('Silver')).toBe('1');
    const rate = (rule: string) =>
      page
        .locator(`[data-testid="rule-rates"] tr[data-rule="${rule}"] [data-testid="pass-rate"]`)
        .textContent();
    expect(await rate('has-owner')).toBe('4%'); // 2 of 57
    expect(await rate('tier-set')).toBe('5%'); // 3 of 57
    expect(
      await page
        .locator('[data-testid="rule-rates"] tr[data-rule="has-runbook"] [data-testid="failing-button"]')
        .textContent(),
    ).toBe('56 failing');
    // One column for today, evaluated just now.
    expect(await page.locator('[data-testid="scorecard-trend"] svg g[data-day]').count()).toBe(1);
    // Every entity's first result is in the level history, 20 to a page.
    const changes = page.getByTestId('level-changes');
    await expect.poll(() => changes.locator('tr[data-entity]').count(), patience).toBe(20);
    expect(await changes.locator('tr[data-entity]').first().textContent()).toContain('first scored');
    expect(await changes.getByRole('button', { name: 'Load more' }).count()).toBe(1);
    await screenshot(page, 'scorecard');

    // The entities at or below Bronze: the owner-less ones and the bronze one, 50 at a time.
    await levels.locator('[data-level="Bronze"]').click();
    expect(decodeURIComponent(page.url())).toContain('level=Bronze');
    await expect.poll(() => drillRows(page).then((r) => r.length), patience).toBe(50);
    expect(await page.getByTestId('drill-title').textContent()).toContain('at or below');
    await page.getByTestId('load-more').click();
    await expect.poll(() => drillRows(page).then((r) => r.length), patience).toBe(56);
    const all = await drillRows(page);
    expect(all).toContain('bronze-svc');
    expect(all).toContain('basic-svc');
    expect(all).not.toContain('gold-svc');
    await expect.poll(() => page.getByTestId('load-more').count(), patience).toBe(0);

    // The entities failing "Tier is set": the owner-less ones without a tier. The first page of
    // results holds only 49 of them, so the list reads on to the next page by itself.
    await page
      .locator('[data-testid="rule-rates"] tr[data-rule="tier-set"] [data-testid="failing-button"]')
      .click();
    expect(decodeURIComponent(page.url())).toContain('rule=tier-set');
    await expect.poll(() => page.getByTestId('drill-title').textContent(), patience).toContain('Tier is set');
    await expect.poll(() => drillRows(page), patience).toEqual(orphans);
    expect(await page.getByTestId('load-more').count()).toBe(0);

    // The entities failing "Has an owner" include the one with a tier; it opens its entity page.
    await page
      .locator('[data-testid="rule-rates"] tr[data-rule="has-owner"] [data-testid="failing-button"]')
      .click();
    await expect.poll(() => drillRows(page).then((r) => r.slice(0, 1)), patience).toEqual(['basic-svc']);
    await screenshot(page, 'scorecard-drill-down');
    await page.locator('[data-testid="drill-down"] tr[data-entity="basic-svc"] a.entity-link').click();
    await page.waitForURL(`**/entities/${svc}/basic-svc`);
    expect(await page.getByTestId('entity-title').textContent()).toBe('Basic service');
    const entry = page.locator(`[data-testid="entity-scorecards"] [data-scorecard="${sc}"]`);
    await expect.poll(() => entry.getByTestId('scorecard-level').textContent(), patience).toBe('Basic');
    await page.context().close();
  });

  it('shows an entity’s level and what reaches the next one, and its history with before and after', async () => {
    const page = await pageFor('entity-scorecards');
    await signIn(page, server.url, token, `/entities/${svc}/bronze-svc`);
    const entry = page.locator(`[data-testid="entity-scorecards"] [data-scorecard="${sc}"]`);
    await expect.poll(() => entry.getByTestId('scorecard-level').textContent(), patience).toBe('Bronze');
    const goal = entry.getByTestId('next-goal');
    expect(await goal.textContent()).toContain('To reach Silver');
    expect(await goal.locator('li').allTextContents()).toEqual(['Has a runbook']);
    expect(await entry.locator('.rule-item[data-rule="has-owner"]').getAttribute('data-passed')).toBe('true');
    expect(await entry.locator('.rule-item[data-rule="has-runbook"]').getAttribute('data-passed')).toBe(
      'false',
    );

    await page.getByRole('tab', { name: 'History' }).click();
    const history = page.getByTestId('entity-history');
    const types = () =>
      history
        .getByTestId('history-event')
        .evaluateAll((events) => events.map((e) => e.getAttribute('data-type')));
    await expect.poll(types, patience).toEqual(['entity.created']);

    // Someone adds a runbook and changes the tier through the API.
    const updated = await server.px.call('POST', `/api/v1/blueprints/${svc}/entities`, {
      identifier: 'bronze-svc',
      title: 'Bronze service',
      properties: { tier: 1, runbookUrl: 'https://run.example/bronze' },
      relations: { ownedBy: 'payments' },
    });
    expect(updated.status).toBe(200);
    await page.getByTestId('refresh-history').click();
    await expect.poll(types, patience).toEqual(['entity.updated', 'entity.created']);
    const latest = history.getByTestId('history-event').first();
    expect(await latest.getByTestId('history-actor').textContent()).toBe('admin');
    expect(await latest.textContent()).toContain('api');
    await latest.locator('button').first().click();
    const diff = latest.getByTestId('history-diff');
    expect(
      await diff.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path'))),
    ).toEqual(['properties.tier', 'properties.runbookUrl']);
    const tier = diff.locator('tr[data-path="properties.tier"] td');
    expect(await tier.allTextContents()).toEqual(['Tier', '2', '1']);
    const runbook = diff.locator('tr[data-path="properties.runbookUrl"]');
    expect(await runbook.getAttribute('data-kind')).toBe('added');
    expect(await runbook.locator('td').nth(2).locator('a').getAttribute('href')).toBe(
      'https://run.example/bronze',
    );

    // The scorecard re-evaluates the changed entity: it now stands at the top level.
    await server.px.services.scorecards.idle();
    await page.getByRole('tab', { name: 'Scorecards' }).click();
    await page.getByTestId('refresh-scorecards').click();
    await expect.poll(() => entry.getByTestId('scorecard-level').textContent(), patience).toBe('Silver');
    expect(await entry.getByTestId('next-goal').textContent()).toContain('Top level reached');
    await screenshot(page, 'entity-scorecards-history');

    // The scorecard's page lists the move as its latest level change.
    await entry.getByRole('link', { name: 'Production readiness' }).click();
    const latestChange = page.locator('[data-testid="level-changes"] tr[data-entity]').first();
    await expect.poll(() => latestChange.getAttribute('data-entity'), patience).toBe('bronze-svc');
    expect(await latestChange.locator('.badge').allTextContents()).toEqual(['Bronze', 'Silver']);
    await page.context().close();
  });

  it('says so when a scorecard does not exist', async () => {
    const page = await pageFor('scorecard-missing');
    await signIn(page, server.url, token, `/scorecards/${uniqueId('nope')}`);
    await page.getByText('This scorecard does not exist').waitFor();
    await page.context().close();
  });
});
