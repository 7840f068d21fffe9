import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { productionReadiness } from '../server/src/demo/load-demo.ts';
import { launchChromium } from '../web/e2e/chromium.ts';
import { type BenchClient, createClient } from './client.ts';
import type { Benchmark, BenchContext } from './harness.ts';
import { formatNumber, percentiles } from './harness.ts';
import { loadOrganisation } from './organisation.ts';
import { createViewer } from './viewers.ts';

/**
 * Issue 18: the home page's one summary read (`GET /api/v1/me/summary`) on the sdlc organisation
 * (BENCH_SERVICES services, 25,000 = about 100k entities), for members of the teams owning the
 * most, an average and the fewest entities, with the production readiness scorecard evaluated.
 */
const services = Number(process.env.BENCH_SERVICES ?? 25_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 100);
const warmup = Number(process.env.BENCH_WARMUP ?? 30);
const paintSamples = Number(process.env.BENCH_PAINT_SAMPLES ?? 10);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Time from navigating to `/` until the page is complete: for a member their teams' cards and the
 * organisation's tiles with counts, for an admin without a team the organisation overview; no
 * skeleton left. Chromium 1440×900, signed in once, HTTP cache warm (a daily visit).
 */
async function firstPaint(browser: Browser, url: string, token: string, member: boolean): Promise<number[]> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.sidebar').waitFor({ timeout: 120_000 });
    const times: number[] = [];
    for (let i = 0; i < 2 + paintSamples; i++) {
      const t = performance.now();
      await page.goto(`${url}/`);
      await page.waitForFunction(
        (needMe) =>
          (!needMe || document.querySelector('[data-testid="my-teams"]')) &&
          document.querySelector('[data-testid="kind-tiles"] .tile-count') &&
          !document.querySelector('.skeleton'),
        member,
        { timeout: 120_000 },
      );
      if (i >= 2) times.push(performance.now() - t);
    }
    return times;
  } finally {
    await context.close();
  }
}

async function ensureOrganisation(
  ctx: BenchContext,
  api: BenchClient,
  plexus: Awaited<ReturnType<BenchContext['startPlexus']>>,
) {
  const [row] = (await ctx.driver.executeQuery('MATCH (s:Service) RETURN count(s) AS n')).records.map((r) =>
    r.toObject(),
  );
  if (Number(row.n) >= services) return;
  await loadOrganisation(ctx, api, plexus, services, 'home');
}

const bench: Benchmark = {
  name: 'home',
  title: 'Home page summary on the organisation graph (issue 18)',
  async run(ctx) {
    // The UI is served as `npm start` serves it: built first when web/src is newer.
    execFileSync(process.execPath, [join(repo, 'web', 'scripts', 'ensure-build.mjs')], { stdio: 'inherit' });
    const plexus = await ctx.startPlexus({ webDist: join(repo, 'web', 'dist') });
    const api = createClient(plexus.url, plexus.token);
    const viewers: BenchClient[] = [];
    try {
      await ensureOrganisation(ctx, api, plexus);
      const scorecards = await plexus.services.scorecards.list();
      if (!scorecards.some((s) => s.identifier === 'production-readiness')) {
        await plexus.services.scorecards.save(productionReadiness(), { actor: 'bench', mode: 'create' });
      }
      ctx.log('home: evaluating the production readiness scorecard');
      await plexus.services.scorecards.idle();
      const raw = (q: string) => ctx.driver.executeQuery(q, {});
      const teams = (
        await raw(
          'MATCH (t:Team)<-[:OWNED_BY]-(o) WITH t, count(o) AS n ORDER BY n DESC WITH collect({id: t.identifier, n: n}) AS ranked RETURN ranked[0] AS most, ranked[size(ranked) / 2] AS middle, ranked[size(ranked) - 1] AS fewest',
        )
      ).records.map((r) => r.toObject())[0] as Record<string, { id: string; n: number }>;
      const [size] = (await raw('MATCH (n:Entity) RETURN count(n) AS entities')).records.map((r) =>
        r.toObject(),
      );
      const rows: (string | number)[][] = [];
      for (const which of ['most', 'middle', 'fewest'] as const) {
        const team = teams[which];
        const viewer = await createViewer(api, plexus, `home-${which}`, [team.id]);
        viewers.push(viewer);
        const get = () => viewer.send('GET', '/api/v1/me/summary');
        const body = (await get()) as { owned: { total: number }; signals: { count: number }[] };
        ctx.log(`home: ${which} (${team.id}, ${team.n} owned)`);
        for (let i = 0; i < warmup; i++) await get();
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
          const t = performance.now();
          await get();
          times.push(performance.now() - t);
        }
        const p = percentiles(times);
        rows.push([
          `member of the team owning the ${which === 'middle' ? 'median number of' : which} entities`,
          formatNumber(body.owned.total),
          formatNumber(body.signals.reduce((a, s) => a + s.count, 0)),
          p.p50.toFixed(1),
          p.p95.toFixed(1),
          p.max.toFixed(1),
        ]);
      }
      ctx.log('home: first paint in Chromium');
      const browser = await launchChromium();
      try {
        const callers = [
          { label: 'admin without a team (organisation overview)', token: plexus.token, member: false },
          { label: 'member of the team owning the most entities', token: viewers[0].token, member: true },
        ];
        for (const c of callers) {
          const p = percentiles(await firstPaint(browser, plexus.url, c.token, c.member));
          rows.push([`UI first paint of / in Chromium: ${c.label}`, '', '', p.p50.toFixed(1), p.p95.toFixed(1), p.max.toFixed(1)]);
        }
      } finally {
        await browser.close();
      }
      return {
        title: bench.title,
        table: { columns: ['caller', 'owned entities', 'open signals', 'p50 ms', 'p95 ms', 'max ms'], rows },
        notes: [
          `Graph: ${formatNumber(Number(size.entities))} entities (generateOrganisation, ${formatNumber(services)} services); the production readiness scorecard evaluated on every service. ${samples} sequential requests per caller after ${warmup} untimed ones, over HTTP with one keep-alive connection; callers are viewers (read scope applied).`,
          'One query (cypher/home/me-summary.cypher) answers teams, owned counts, recent changes, scorecard levels, failing rules and open incidents/vulnerabilities. Target (issue 18): under 300 ms on the 100k graph.',
          `UI first paint: time from navigating to / until the page is complete (the member's cards, the organisation's kind tiles with their counts, no skeleton left), headless Debian Chromium 1440×900 without GPU, signed in once, HTTP cache warm; ${paintSamples} loads after 2 untimed ones.`,
        ],
      };
    } finally {
      for (const v of viewers) v.close();
      api.close();
      await plexus.close();
    }
  },
};

export default bench;
