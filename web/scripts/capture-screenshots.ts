/**
 * Regenerates docs/screenshots/ from the demo organisation: starts a throw-away embedded Neo4j
 * (or uses NEO4J_URI when it is empty), loads the demo, serves the built UI and photographs
 * each page in headless Chromium.
 *
 *   npm run build --workspace web && npx tsx web/scripts/capture-screenshots.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { Page } from 'playwright-core';
import { createApp } from '../../server/src/app.ts';
import { readConfig } from '../../server/src/config.ts';
import { createDriver, readRows } from '../../server/src/db/driver.ts';
import { type EmbeddedNeo4j, startEmbeddedNeo4j } from '../../server/src/db/embedded-neo4j.ts';
import { loadDemo } from '../../server/src/demo/load-demo.ts';
import { silentLogger } from '../../server/src/log.ts';
import { createServices } from '../../server/src/services.ts';
import { launchChromium } from '../e2e/chromium.ts';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(web, '..', 'docs', 'screenshots');
const log = (m: string) => process.stderr.write(`capture: ${m}\n`);

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'plexus-shots-'));
  let embedded: EmbeddedNeo4j | null = null;
  let uri = process.env.NEO4J_URI;
  if (!uri) {
    log('starting an embedded Neo4j');
    embedded = await startEmbeddedNeo4j({ dataDir: join(scratch, 'neo4j') });
    uri = embedded.uri;
  }
  const token = `shots-${randomBytes(8).toString('hex')}`;
  const config = {
    ...readConfig({
      NEO4J_URI: uri,
      PLEXUS_ADMIN_TOKEN: token,
      PLEXUS_CONFIG: '/dev/null',
      PLEXUS_DATA_DIR: scratch,
    } as NodeJS.ProcessEnv),
    demo: false,
  };
  // The GraphQL workers connect with config.neo4j: it carries the embedded database's password.
  if (embedded) config.neo4j = { ...config.neo4j, user: embedded.user, password: embedded.password };
  const driver = createDriver({ ...config.neo4j, uri });
  const db = { driver };
  const services = await createServices(config, db, silentLogger);
  log('loading the demo organisation');
  await loadDemo({ ...services, logger: silentLogger });
  await services.schemas.ready();
  const app = createApp(services, { webDist: join(web, 'dist') });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((ok) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      ok({ server: s, port: info.port }),
    );
  });
  const url = `http://127.0.0.1:${port}`;

  // Subjects with something to show: the busiest service, team and shared database of the demo.
  const [svc] = await readRows<{ id: string }>(
    db,
    // The production readiness scorecard leaves deprecated services out: the entity page shows it.
    "MATCH (s:Service) WHERE coalesce(s.lifecycle, '') <> 'deprecated' RETURN s.identifier AS id ORDER BY COUNT { (s)--() } DESC, id LIMIT 1",
  );
  const [team] = await readRows<{ id: string; title: string }>(
    db,
    'MATCH (t:Team)<-[:OWNED_BY]-(s:Service) RETURN t.identifier AS id, t.title AS title, count(s) AS n ORDER BY n DESC, id LIMIT 1',
  );
  // "What breaks if this database goes down?": a resource with a handful of direct dependents.
  const [graphRoot] = await readRows<{ id: string }>(
    db,
    'MATCH (c:CloudResource) WITH c, COUNT { (c)<-[:DEPENDS_ON_STORAGE|DEPENDS_ON_RUNTIME]-() } AS users WHERE users > 0 RETURN c.identifier AS id ORDER BY abs(users - 6), id LIMIT 1',
  );
  const dependencyRelations = 'dependsOn,dependsOnRuntime,dependsOnStorage';
  // A big neighbourhood (hundreds of dependants): the library most depended on.
  const [bigRoot] = await readRows<{ id: string }>(
    db,
    'MATCH (l:Library) RETURN l.identifier AS id ORDER BY COUNT { (l)<--() } DESC, id LIMIT 1',
  );

  mkdirSync(out, { recursive: true });
  const browser = await launchChromium();
  const shot = async (page: Page, name: string) => {
    // No hover effects in the pictures.
    await page.mouse.move(1, 1);
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(out, `${name}.png`), animations: 'disabled' });
    log(`saved ${name}.png`);
  };
  try {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      colorScheme: 'light',
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${url}/`);
    await page.getByTestId('sign-in').waitFor();
    await shot(page, 'sign-in');
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .locator('[data-testid="kind-tiles"] .tile-count')
      .first()
      .waitFor()
      .catch(async (err) => {
        await page.screenshot({ path: '/tmp/capture-failed.png' });
        throw err;
      });
    await page.waitForFunction(() => !document.querySelector('.tile .skeleton'));
    await shot(page, 'overview');

    const filters = JSON.stringify([
      { field: 'ownedBy', op: 'is', value: `team:${team.id}`, label: team.title },
    ]);
    await page.goto(`${url}/catalog/service?filters=${encodeURIComponent(filters)}`);
    await page.locator('[data-testid="catalog-table"] tbody tr[data-identifier]').first().waitFor();
    await shot(page, 'catalog');

    await page.getByTestId('search-trigger').click();
    await page.getByRole('textbox', { name: 'Search' }).fill('payment');
    await page.locator('.palette-item').nth(2).waitFor();
    await shot(page, 'search');
    await page.keyboard.press('Escape');

    // The demo's scorecard is evaluated in the background after it is saved.
    await services.scorecards.idle();
    await page.goto(`${url}/entities/service/${encodeURIComponent(svc.id)}`);
    await page.locator('[data-testid="entity-about"]').waitFor();
    await page.locator('[data-testid="entity-scorecards"] [data-scorecard]').first().waitFor();
    await shot(page, 'entity');
    await page.getByRole('tab', { name: /Relations/ }).click();
    await page.locator('[data-testid="entity-relations"] .chip').first().waitFor();
    await shot(page, 'entity-relations');

    await page.goto(
      `${url}/graph?root=${encodeURIComponent(`cloudResource:${graphRoot.id}`)}&direction=downstream&depth=3&relations=${dependencyRelations}`,
    );
    await page.waitForFunction(() =>
      /^\d+ nodes/.test(document.querySelector('[data-testid="graph-status"]')?.textContent ?? ''),
    );
    const pos = await page.evaluate((id) => {
      const el = document.querySelector('[data-testid="graph-canvas"]') as HTMLElement & {
        _cyreg?: { cy?: { getElementById(i: string): { renderedPosition(): { x: number; y: number } } } };
      };
      const p = el._cyreg?.cy?.getElementById(id).renderedPosition();
      const box = el.getBoundingClientRect();
      return p ? { x: box.left + p.x, y: box.top + p.y } : null;
    }, `cloudResource:${graphRoot.id}`);
    if (pos) {
      await page.mouse.click(pos.x, pos.y);
      await page.getByTestId('blast-radius').click();
      await page.locator('.alert.warning').waitFor();
      await page.waitForFunction(() =>
        /^\d+ nodes/.test(document.querySelector('[data-testid="graph-status"]')?.textContent ?? ''),
      );
    }
    await shot(page, 'graph-explorer');

    // Hundreds of dependants, collapsed by kind into group nodes in the hierarchy layout.
    await page.goto(
      `${url}/graph?root=${encodeURIComponent(`library:${bigRoot.id}`)}&direction=downstream&depth=5&layout=hierarchy`,
    );
    await page.waitForFunction(() =>
      /shown as/.test(document.querySelector('[data-testid="graph-status"]')?.textContent ?? ''),
    );
    await shot(page, 'graph-grouped');

    await page.goto(`${url}/model/service`);
    await page.getByTestId('blueprint-form').waitFor();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="model-graph"]') as HTMLElement & {
        _cyreg?: { cy?: { nodes(): { length: number } } };
      };
      return (el?._cyreg?.cy?.nodes().length ?? 0) > 0;
    });
    await shot(page, 'data-model');

    await page.goto(`${url}/scorecards/production-readiness`);
    await page.locator('[data-testid="level-distribution"] .level-bar').first().waitFor();
    await page.locator('[data-testid="scorecard-trend"] svg').waitFor();
    await page.locator('[data-testid="level-changes"] tr[data-entity]').first().waitFor();
    await shot(page, 'scorecards');

    // The home page of a member of the busiest team: their teams, what they own, its signals.
    const member = `${team.id}-member`;
    const admin = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => {
        if (!r.ok) throw new Error(`${path} answered ${r.status}: ${await r.text()}`);
        return r.json() as Promise<{ token?: string }>;
      });
    await admin('/api/v1/users', { id: member, name: 'Uma Haddad', role: 'member', teams: [team.id] });
    const memberToken = (await admin('/api/v1/tokens', { name: 'screenshots', role: 'member', user: member }))
      .token!;
    const mine = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    const home = await mine.newPage();
    home.setDefaultTimeout(30_000);
    await home.goto(`${url}/`);
    await home.getByLabel('API token').fill(memberToken);
    await home.getByRole('button', { name: 'Sign in' }).click();
    await home.getByTestId('my-teams').waitFor();
    await home.waitForFunction(() => !document.querySelector('.skeleton'));
    await shot(home, 'home');
    await mine.close();

    await page.getByTestId('theme-toggle').click();
    await page.goto(`${url}/entities/service/${encodeURIComponent(svc.id)}?tab=graph`);
    await page.locator('[data-testid="neighbourhood-graph"][data-ready="true"]').waitFor();
    await shot(page, 'entity-dark');
    await context.close();
  } finally {
    await browser.close();
    await new Promise<void>((ok) => server.close(() => ok()));
    services.stop();
    await driver.close();
    await embedded?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(
    `capture failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
