/**
 * Browser-test support: a real Plexus server (test Neo4j, built UI) on a random loopback port,
 * Debian's Chromium driven by playwright-core, and screenshots under test-output/screenshots.
 */
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../server/src/app.ts';
import { startTestPlexus, type TestPlexus, waitFor } from '../../server/src/test-support.ts';
import { launchChromium } from './chromium.ts';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(webDir, '..');
/** Where screenshots go; `npm test` keeps test-output/ out of git. */
export const screenshotDir = join(repo, 'test-output', 'screenshots');

/** A Plexus server with the UI, for one test file. */
export interface UiServer {
  url: string;
  px: TestPlexus;
  close(): Promise<void>;
}

/** Builds the UI if there is no build yet (`npm test` builds it before the tests). */
function ensureWebBuild(): string {
  const dist = join(webDir, 'dist');
  if (!existsSync(join(dist, 'index.html')))
    execSync('npm run build --workspace web', { cwd: repo, stdio: 'inherit' });
  return dist;
}

/** Starts Plexus on 127.0.0.1 with a random port, serving the built UI. */
export async function startUiServer(): Promise<UiServer> {
  const webDist = ensureWebBuild();
  const px = await startTestPlexus();
  // The UI reads through GraphQL: start the GraphQL worker (and a first schema) now, while the
  // test seeds its data, not when the browser's first page asks (seconds on a loaded machine).
  px.services.schemas.ready().catch(() => {});
  const app = createApp(px.services, { webDist });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((ok) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      ok({ server: s, port: info.port }),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    px,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      await px.close();
    },
  };
}

/** Launches headless Chromium (Debian's, or CHROMIUM_PATH). */
export function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

/** A fresh page (own context, so sessionStorage starts empty) at a desktop size. */
export async function newPage(browser: Browser, options: { dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme: options.dark ? 'dark' : 'light',
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // Browser errors go to the test log: a failing UI test then says what broke in the page.
  page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      console.error(`[browser ${msg.type()}] ${msg.text()}`);
  });
  return page;
}

/** Signs in through the form at `path` (deep links survive the sign-in). */
export async function signIn(page: Page, url: string, token: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.sidebar').waitFor();
}

/** Saves a PNG of the page under test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // Wait for web fonts and pending animations so the picture is the settled page.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** What Cytoscape leaves on its container element (`_cyreg.cy`), as far as the tests read it. */
type CyContainer = HTMLElement & {
  _cyreg?: {
    cy?: {
      getElementById(id: string): { empty(): boolean; renderedPosition(): { x: number; y: number } };
      nodes(): { length: number };
    };
  };
};

/** Rendered (viewport) position of a graph node, read from the Cytoscape instance on its container. */
export async function nodePosition(
  page: Page,
  canvasTestId: string,
  nodeId: string,
): Promise<{ x: number; y: number } | null> {
  return page.evaluate(
    ([testId, id]) => {
      const el = document.querySelector(`[data-testid="${testId}"]`) as CyContainer | null;
      const cy = el?._cyreg?.cy;
      const node = cy?.getElementById(id);
      if (!el || !node || node.empty()) return null;
      const box = el.getBoundingClientRect();
      const p = node.renderedPosition();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    [canvasTestId, nodeId] as const,
  );
}

/**
 * Clicks a node with the mouse, the way a reader does (zoomed to `zoom` and centred on it), until
 * `took()` says the click had its effect: a click that lands while the canvas is still settling
 * is made again. On failure the error lists where each click landed (`elementFromPoint`).
 */
export async function clickNodeUntil(
  page: Page,
  canvasTestId: string,
  nodeId: string,
  took: () => Promise<boolean>,
  zoom = 1.5,
): Promise<void> {
  const clicks: string[] = [];
  await waitFor(
    `a click on ${nodeId} to take effect`,
    async () => {
      const at = await centreOnNode(page, canvasTestId, nodeId, zoom);
      if (!at) {
        clicks.push(`${nodeId} is not on the canvas`);
        return false;
      }
      const hit = await probeClick(page, canvasTestId, nodeId, at);
      await page.mouse.click(at.x, at.y);
      const ok = await waitFor('the click to take effect', took, 5_000).then(
        () => true,
        () => false,
      );
      if (!ok) clicks.push(`clicked (${Math.round(at.x)}, ${Math.round(at.y)}) ${hit}: no effect`);
      // A click that only took on a later try is worth knowing about even when the test passes.
      else if (clicks.length > 0) console.error(`[click ${nodeId}] took after ${clicks.length} misses:\n${clicks.join('\n')}`);
      return ok;
    },
    90_000,
    { intervalMs: 200, diagnostics: () => clicks.slice(-5).join('\n') },
  );
}

/**
 * What a click at `at` will meet, said in words for a failing test: the element under the
 * point, where Cytoscape believes its container is (its cached measure) against where it is,
 * the node Cytoscape finds under the point with that measure, and its gesture state.
 */
function probeClick(page: Page, canvasTestId: string, nodeId: string, at: { x: number; y: number }): Promise<string> {
  return page.evaluate(
    ([testId, x, y, nodeId]) => {
      type Renderer = {
        containerBB: number[] | null;
        cachedZSortedEles: (unknown[] & { interactive?: unknown[] }) | null;
        hoverData: Record<string, unknown>;
        projectIntoViewport(x: number, y: number): [number, number];
        findNearestElements(x: number, y: number, interactive: boolean, touch: boolean): { id(): string }[];
      };
      const el = document.querySelector(`[data-testid="${testId}"]`) as
        | (HTMLElement & {
            _cyreg?: {
              cy?: {
                renderer(): Renderer;
                elements(): { length: number };
                getElementById(id: string): { empty(): boolean; interactive(): boolean; width(): number } & object;
              };
            };
          })
        | null;
      const under = document.elementFromPoint(x, y);
      const what = under ? `${under.tagName.toLowerCase()}.${under.className}` : 'nothing';
      const r = el?._cyreg?.cy?.renderer();
      if (!el || !r) return `on ${what}, no graph`;
      const round = (v: number[]) => v.slice(0, 4).map(Math.round).join(',');
      const cached = r.containerBB ? round(r.containerBB) : 'none';
      const box = el.getBoundingClientRect();
      const [px, py] = r.projectIntoViewport(x, y);
      const near = r.findNearestElements(px, py, true, false)[0]?.id() ?? 'nothing';
      const h = r.hoverData;
      // The node itself: can Cytoscape hit it, and is it in the renderer's cached hit-test list?
      const cy = el._cyreg!.cy!;
      const node = cy.getElementById(nodeId);
      const list = r.cachedZSortedEles;
      const self = node.empty()
        ? 'missing'
        : `interactive=${node.interactive()} width=${node.width()} listed=${list ? list.includes(node) : 'no list'} ` +
          `hit-testable=${list?.interactive ? list.interactive.includes(node) : 'no list'}`;
      return (
        `on ${what}; container cached at [${cached}], is at [${round([box.left, box.top, box.width, box.height])}]; ` +
        `Cytoscape finds ${near}; node ${self}; ${list?.length ?? 'no'} listed of ${cy.elements().length} elements; ` +
        `${document.querySelectorAll(`[data-testid="${testId}"]`).length} canvas(es); ` +
        `gesture which=${h.which} capture=${h.capture} dragging=${h.dragging} selecting=${h.selecting}`
      );
    },
    [canvasTestId, at.x, at.y, nodeId] as const,
  );
}

/** Number of nodes on a graph canvas. */
export function nodeCount(page: Page, canvasTestId: string): Promise<number> {
  return page.evaluate((testId) => {
    const el = document.querySelector(`[data-testid="${testId}"]`) as CyContainer | null;
    return el?._cyreg?.cy?.nodes().length ?? 0;
  }, canvasTestId);
}

/**
 * Everything that went wrong in a page since `watchProblems` started: console errors, uncaught
 * page errors, answers with status >= 400 (429 excepted: the client waits and retries those by
 * design) and Content-Security-Policy violations. Call before the first `goto`.
 * @example const problems = await watchProblems(page); ...; expect(problems()).toEqual([]);
 */
export async function watchProblems(page: Page): Promise<() => string[]> {
  const seen: string[] = [];
  const where = () => new URL(page.url()).pathname + new URL(page.url()).search;
  page.on('console', (msg) => {
    // Chromium also logs each failed response as a console error: a 429 is retried by design.
    if (msg.type() === 'error' && !/status of 429 \(Too Many Requests\)/.test(msg.text()))
      seen.push(`console error on ${where()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => seen.push(`page error on ${where()}: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && res.status() !== 429)
      seen.push(`HTTP ${res.status()} on ${where()}: ${res.request().method()} ${res.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return () => [...seen];
}

/**
 * Seeds the demo through the catalog's write path (the sdlc pack, a generated organisation of
 * `services` services with the Order example in it, the production readiness scorecard).
 */
export async function seedDemo(px: TestPlexus, options: { services?: number } = {}): Promise<void> {
  const { productionReadiness, writeDemo } = await import('../../server/src/demo/load-demo.ts');
  await writeDemo({ models: px.services.models, catalog: px.services.catalog }, { services: options.services ?? 12 });
  // Saving a scorecard plans each rule (EXPLAIN, with a timeout): on a loaded machine, try again.
  const scorecards = px.services.scorecards;
  for (let attempt = 1; ; attempt++) {
    if ((await scorecards.list()).some((s) => s.identifier === 'production-readiness')) break;
    try {
      await scorecards.save(productionReadiness(), { actor: 'demo', mode: 'create' });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
  await scorecards.idle();
}

/** `UPDATE_SCREENSHOTS=1` also copies a screenshot to docs/screenshots (the README shows them). */
export async function docsScreenshot(page: Page, name: string): Promise<string> {
  const path = await screenshot(page, name);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    const docs = join(repo, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    copyFileSync(path, join(docs, `${name}.png`));
  }
  return path;
}

/**
 * Opens `path` and waits until the page has settled: its main content is drawn and no request
 * has been in flight for a moment (long-lived streams aside), within a generous deadline.
 */
export async function openSettled(page: Page, url: string, path: string): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.locator('.page, [data-testid="home-page"]').first().waitFor({ timeout: 60_000 });
  await page.waitForLoadState('networkidle', { timeout: 60_000 }).catch(() => {});
  // Skeletons and "Loading…" go once the page's reads have answered.
  await page
    .locator('.skeleton')
    .first()
    .waitFor({ state: 'detached', timeout: 60_000 })
    .catch(() => {});
}

/** Model (layout) positions of graph nodes, by id; absent ids are left out. */
export function nodeModelPositions(
  page: Page,
  canvasTestId: string,
  ids: string[],
): Promise<Record<string, { x: number; y: number }>> {
  return page.evaluate(
    ([testId, wanted]) => {
      type Cy = { getElementById(id: string): { empty(): boolean; position(): { x: number; y: number } } };
      const cy = (
        document.querySelector(`[data-testid="${testId}"]`) as (HTMLElement & { _cyreg?: { cy?: Cy } }) | null
      )?._cyreg?.cy;
      const out: Record<string, { x: number; y: number }> = {};
      for (const id of wanted) {
        const n = cy?.getElementById(id);
        if (n && !n.empty()) out[id] = { ...n.position() };
      }
      return out;
    },
    [canvasTestId, ids] as const,
  );
}

/** Ids and labels of the nodes on a graph canvas. */
export function graphNodes(page: Page, canvasTestId: string): Promise<{ id: string; label: string }[]> {
  return page.evaluate((testId) => {
    type Cy = { nodes(): { map<T>(f: (n: { id(): string; data(k: string): unknown }) => T): T[] } };
    const cy = (
      document.querySelector(`[data-testid="${testId}"]`) as (HTMLElement & { _cyreg?: { cy?: Cy } }) | null
    )?._cyreg?.cy;
    return cy ? cy.nodes().map((n) => ({ id: n.id(), label: String(n.data('label')) })) : [];
  }, canvasTestId);
}

/**
 * Zooms the graph so `nodeId` is in the middle of the canvas at a readable scale (as a reader
 * would before clicking one node among thousands) and returns where it is on the page.
 */
export async function centreOnNode(
  page: Page,
  canvasTestId: string,
  nodeId: string,
  zoom = 1.5,
): Promise<{ x: number; y: number } | null> {
  await page.evaluate(
    ([testId, id, level]) => {
      type Cy = {
        getElementById(id: string): { empty(): boolean };
        zoom(level: number): void;
        center(eles: unknown): void;
      };
      const cy = (
        document.querySelector(`[data-testid="${testId}"]`) as (HTMLElement & { _cyreg?: { cy?: Cy } }) | null
      )?._cyreg?.cy;
      const n = cy?.getElementById(id);
      if (!cy || !n || n.empty()) return;
      cy.zoom(level);
      cy.center(n);
    },
    [canvasTestId, nodeId, zoom] as const,
  );
  return nodePosition(page, canvasTestId, nodeId);
}
