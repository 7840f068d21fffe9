import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { uniqueId, waitFor } from '../../server/src/test-support.ts';
import {
  clickNodeUntil,
  graphNodes,
  launchBrowser,
  newPage,
  nodeCount,
  nodeModelPositions,
  screenshot,
  signIn,
  startUiServer,
  type UiServer,
  watchProblems,
} from './support.ts';

// Big graphs in the explorer (click, layout, groups) and the entity page's tabs, in headless
// Chromium on the real server. Blueprint identifiers are unique to this run (shared database).
let server: UiServer;
let browser: Browser;
const team = uniqueId('team');
const lib = uniqueId('lib');
const svc = uniqueId('svc');
// The machine running the tests is shared and busy: generous waits, never a timed assertion.
const patience = { timeout: 90_000, interval: 200 };
const slow = 240_000;

/** A root library, `libs` libraries using it, and services depending on one of them and on `util`. */
function neighbourhood(name: string, libs: number, services: number) {
  return {
    libs: [
      { blueprint: lib, identifier: `${name}-root`, title: `${name} root` },
      { blueprint: lib, identifier: `${name}-util`, title: `${name} util` },
      ...Array.from({ length: libs }, (_, i) => ({
        blueprint: lib,
        identifier: `${name}-lib-${i}`,
        title: `${name} library ${i}`,
        relations: { uses: [`${name}-root`] },
      })),
    ],
    services: Array.from({ length: services }, (_, i) => ({
      blueprint: svc,
      identifier: `${name}-svc-${i}`,
      title: `${name} service ${i}`,
      relations: { dependsOn: [`${name}-lib-${i % libs}`, `${name}-util`] },
    })),
  };
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
      title: 'Squad',
      schema: { properties: { onCallUrl: { type: 'string', format: 'url', title: 'On-call schedule' } } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: lib,
      title: 'Library',
      schema: { properties: {} },
      relations: { uses: { title: 'Uses', target: lib, many: true } },
    }),
  );
  ok(
    await px.call('POST', '/api/v1/blueprints', {
      identifier: svc,
      title: 'Service',
      schema: {
        properties: {
          language: { type: 'string', title: 'Language' },
          links: { type: 'object', title: 'Links' },
          annotations: { type: 'object', title: 'Annotations' },
        },
      },
      relations: {
        ownedBy: { title: 'Owned by', target: team, many: false },
        dependsOn: { title: 'Depends on', target: lib, many: true },
        calls: { title: 'Calls', target: svc, many: true },
        publishesTo: { title: 'Publishes to', target: lib, many: true },
      },
    }),
  );
  const small = neighbourhood('g600', 20, 580);
  const big = neighbourhood('g2000', 40, 1958);
  const entities = [
    {
      blueprint: team,
      identifier: 'payments',
      title: 'Payments',
      properties: { onCallUrl: 'https://pager.example/payments' },
    },
    ...small.libs,
    ...big.libs,
    ...small.services,
    ...big.services,
    {
      blueprint: svc,
      identifier: 'cart',
      title: 'Cart',
      properties: {
        language: 'ts',
        links: { Runbook: 'https://runbooks.example/cart', Evil: 'javascript:alert(1)' },
        annotations: { 'github.com/project-slug': 'acme/cart' },
      },
      relations: { ownedBy: 'payments', dependsOn: ['g600-util'] },
    },
  ];
  // Libraries first: relations point at entities that exist.
  for (let i = 0; i < entities.length; i += 500)
    ok(await px.call('POST', '/api/v1/entities/bulk', { entities: entities.slice(i, i + 500) }));
}, slow);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function pageFor(name: string): Promise<{ page: Page; problems: () => string[] }> {
  const page = await newPage(browser);
  const problems = await watchProblems(page);
  // A page left open keeps working (an expansion, a layout) while the next test runs: close it.
  onTestFinished(async ({ task }) => {
    if (task.result?.state === 'fail') await screenshot(page, `failed-${name}`).catch(() => {});
    await page.context().close();
  });
  await signIn(page, server.url, server.px.adminToken, '/graph');
  return { page, problems };
}

const status = (page: Page) => page.getByTestId('graph-status').textContent();
const graphUrl = (name: string, extra: string) =>
  `/graph?root=${encodeURIComponent(`${lib}:${name}-root`)}&direction=downstream&depth=2&${extra}`;

/** Whether the explorer's selection card shows `id`. */
const isSelected = async (page: Page, id: string) =>
  ((await page.getByTestId('graph-selection').textContent({ timeout: 1000 }).catch(() => '')) ?? '').includes(id);

/** Clicks a node the way a reader does (zoomed in on it) until it is the one selected. */
async function clickToSelect(page: Page, id: string): Promise<void> {
  await clickNodeUntil(page, 'graph-canvas', id, () => isSelected(page, id));
}

/** Opens Cart with what it depends on (3 nodes: Cart, Payments, g600 util). */
async function openCart(page: Page): Promise<void> {
  await page.goto(`${server.url}/graph?root=${encodeURIComponent(`${svc}:cart`)}&direction=upstream&depth=1`);
  await expect.poll(() => status(page), patience).toMatch(/^3 nodes/);
}
const clickService = (page: Page, identifier: string) => clickToSelect(page, `${svc}:${identifier}`);

describe('big graphs in the explorer', () => {
  it(
    'a click exactly on the centre line of a diamond node selects it',
    async () => {
      const { page, problems } = await pageFor('graph-diamond');
      await openCart(page);
      const id = `${team}:payments`;
      // The node drawn as a diamond at (200, 150) with no zoom or pan: a click on a whole pixel
      // lands exactly on its centre line, where Cytoscape's polygon test missed it.
      await waitFor(
        `a click on the centre of ${id} to select it`,
        async () => {
          const at = await page.evaluate(
            ([testId, nodeId]) => {
              type Cy = {
                viewport(v: { zoom: number; pan: { x: number; y: number } }): void;
                nodes(): { forEach(f: (n: { id(): string; position(p: { x: number; y: number }): void }) => void): void };
                getElementById(id: string): { style(k: string, v: string): void };
              };
              const el = document.querySelector(`[data-testid="${testId}"]`) as HTMLElement & { _cyreg: { cy: Cy } };
              const cy = el._cyreg.cy;
              cy.getElementById(nodeId).style('shape', 'diamond');
              let i = 0;
              cy.nodes().forEach((n) => n.position(n.id() === nodeId ? { x: 200, y: 150 } : { x: 500, y: 100 + 100 * i++ }));
              cy.viewport({ zoom: 1, pan: { x: 0, y: 0 } });
              const box = el.getBoundingClientRect();
              return { x: box.left + 200, y: box.top + 150 };
            },
            ['graph-canvas', id] as const,
          );
          await page.mouse.click(at.x, at.y);
          return waitFor('the selection', () => isSelected(page, id), 3_000).then(
            () => true,
            () => false,
          );
        },
        60_000,
        { intervalMs: 200 },
      );
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'a click reaches the node after the canvas moved on the page without being resized',
    async () => {
      const { page, problems } = await pageFor('graph-moved');
      await openCart(page);
      await clickToSelect(page, `${team}:payments`);
      // Something on the page moves the canvas without changing its size (content above it, a
      // transform): no resize, scroll or transition event tells Cytoscape.
      await page.evaluate(() => {
        (document.querySelector('.graph-layout') as HTMLElement).style.transform = 'translate(-120px, 60px)';
      });
      await clickToSelect(page, `${lib}:g600-util`);
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'selects the clicked node in a 600-node graph and expands it without a page error',
    async () => {
      const { page, problems } = await pageFor('graph-600-click');
      await page.goto(`${server.url}${graphUrl('g600', 'group=none')}`);
      await expect.poll(() => status(page), patience).toMatch(/^601 nodes/);
      await clickService(page, 'g600-svc-17');
      // Its other dependency ("util") is new: the expansion adds it next to the clicked node.
      await expect.poll(() => status(page), patience).toMatch(/^602 nodes/);
      await clickService(page, 'g600-svc-300');
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'selects the clicked node in a 2,000-node graph without a page error',
    async () => {
      const { page, problems } = await pageFor('graph-2000-click');
      await page.goto(`${server.url}${graphUrl('g2000', 'group=none')}`);
      await expect.poll(() => status(page), patience).toMatch(/^1,999 nodes/);
      await clickService(page, 'g2000-svc-1234');
      await expect.poll(() => status(page), patience).toMatch(/^2,000 nodes/);
      await clickService(page, 'g2000-svc-7');
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'applies a chosen layout at once; the hierarchy ranks dependants below the root',
    async () => {
      const { page, problems } = await pageFor('graph-layout');
      await page.goto(`${server.url}${graphUrl('g600', 'group=none&layout=grid')}`);
      await expect.poll(() => status(page), patience).toMatch(/^601 nodes/);
      const root = `${lib}:g600-root`;
      const library = `${lib}:g600-lib-3`;
      const service = `${svc}:g600-svc-3`;
      const before = await nodeModelPositions(page, 'graph-canvas', [root, library, service]);
      await page.getByLabel('Layout', { exact: true }).selectOption('hierarchy');
      await expect
        .poll(
          async () =>
            JSON.stringify(await nodeModelPositions(page, 'graph-canvas', [root, library, service])),
          patience,
        )
        .not.toBe(JSON.stringify(before));
      const after = await nodeModelPositions(page, 'graph-canvas', [root, library, service]);
      expect(after[root].y).toBeLessThan(after[library].y);
      expect(after[library].y).toBeLessThan(after[service].y);
      expect(new URL(page.url()).searchParams.get('layout')).toBe('hierarchy');
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'collapses a big graph by kind into group nodes and opens a group on click',
    async () => {
      const { page, problems } = await pageFor('graph-groups');
      await page.goto(`${server.url}${graphUrl('g600', 'layout=hierarchy')}`);
      await expect.poll(() => status(page), patience).toMatch(/^601 nodes .* shown as 3 nodes \(2 groups\)/);
      const labels = (await graphNodes(page, 'graph-canvas')).map((n) => n.label).sort();
      expect(labels).toEqual(['20 libraries', '580 services', 'g600 root']);
      await screenshot(page, 'graph-grouped');
      const group = (await graphNodes(page, 'graph-canvas')).find((n) => n.label === '580 services')!;
      await clickNodeUntil(page, 'graph-canvas', group.id, async () => (await nodeCount(page, 'graph-canvas')) === 582, 1);
      await page.getByLabel('Group').selectOption('none');
      await expect.poll(() => nodeCount(page, 'graph-canvas'), patience).toBe(601);
      expect(problems()).toEqual([]);
    },
    slow,
  );
});

describe('the entity page', () => {
  it(
    'shows owner, on-call, titled links and annotations first, and its sections as tabs',
    async () => {
      const { page, problems } = await pageFor('entity-tabs');
      await page.goto(`${server.url}/entities/${svc}/cart`);
      const about = page.getByTestId('entity-about');
      await expect.poll(() => about.getByTestId('about-owner').textContent(), patience).toContain('Payments');
      // Nobody on call on the service itself: its owner's schedule, said where it comes from.
      await expect
        .poll(() => about.getByTestId('about-on-call').textContent(), patience)
        .toContain('(from Payments)');
      const links = about.getByTestId('about-links').locator('a');
      expect(await links.allTextContents()).toEqual(['Runbook ↗']);
      expect(await links.first().getAttribute('href')).toBe('https://runbooks.example/cart');
      expect(await about.getByTestId('about-annotations').textContent()).toContain(
        'github.com/project-slugacme/cart',
      );
      expect(await page.getByRole('tab').allTextContents()).toEqual(
        expect.arrayContaining(['Overview', 'Graph', 'Scorecards', 'History']),
      );
      // No action applies: no Actions tab.
      expect(await page.getByRole('tab', { name: 'Actions' }).count()).toBe(0);

      await page.getByRole('tab', { name: /Relations/ }).click();
      const relations = page.getByTestId('entity-relations');
      await expect.poll(() => relations.locator('.chip').count(), patience).toBe(2);
      expect(await relations.getByTestId('empty-relations').textContent()).toBe(
        'None yet: Calls, Publishes to',
      );
      await screenshot(page, 'entity-relations-tab');

      await page.getByRole('tab', { name: 'Graph' }).click();
      await expect.poll(() => nodeCount(page, 'neighbourhood-graph'), patience).toBe(3);
      expect(new URL(page.url()).searchParams.get('tab')).toBe('graph');
      expect(problems()).toEqual([]);
    },
    slow,
  );

  it(
    'shows an empty state, not an error, when no scorecard applies',
    async () => {
      const { page, problems } = await pageFor('entity-no-scorecards');
      await page.goto(`${server.url}/entities/${svc}/cart?tab=scorecards`);
      const card = page.getByTestId('entity-scorecards');
      await expect
        .poll(() => card.textContent(), patience)
        .toContain('No scorecard measures this kind of entity yet.');
      expect(await card.locator('.alert.error, [role="alert"]').count()).toBe(0);
      expect(problems()).toEqual([]);
    },
    slow,
  );
});
