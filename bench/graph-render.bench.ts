import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Blueprint, pluralFieldOf } from '@plexus/contract';
import { build } from 'esbuild';
import { launchChromium } from '../web/e2e/chromium.ts';
import { radialAbove } from '../web/src/graph/make-cytoscape.ts';
import {
  buildTableQuery,
  defaultDefinition,
  type ViewDefinition,
} from '../web/src/routes/catalog/table-query.ts';
import { createClient } from './client.ts';
import { type BenchContext, type Benchmark, formatNumber, percentiles } from './harness.ts';
import { postBulk } from './organisation.ts';

/**
 * Issue 3 "Done when": (1) a 2,000-node / 6,000-edge graph laid out and drawn by the UI's own
 * `makeCytoscape` in headless Chromium (target under 2 s); (2) the catalog table's GraphQL for a
 * blueprint with 50,000 entities: first page and filter changes (target under 300 ms each).
 */
const benchDir = dirname(fileURLToPath(import.meta.url));
const entities = Number(process.env.BENCH_TABLE_ENTITIES ?? 50_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 30);
const graphRuns = Number(process.env.BENCH_GRAPH_RUNS ?? 5);
const teams = 200;
const svcBp = 'benchService';
const teamBp = 'benchTeam';

type RenderTimes = {
  addMs: number;
  layoutMs: number;
  firstFrameMs: number;
  totalMs: number;
  zoomFrameMs: number;
  wheelFrameMs: number;
};

async function graphRender(ctx: BenchContext): Promise<(string | number)[][]> {
  // The page runs the UI's makeCytoscape: bundled here so the benchmark measures the shipped code.
  const bundle = await build({
    entryPoints: [join(benchDir, 'graph-render.page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const browser = await launchChromium();
  const rows: (string | number)[][] = [];
  try {
    const cases: {
      nodes: number;
      edges: number;
      layout: 'fcose' | 'cose' | 'hierarchy' | 'grid';
      baseline?: boolean;
      group?: boolean;
    }[] = [
      // Issue 18: a 1,000-node neighbourhood readable in under 3 s (collapsed by kind, hierarchy), and drawn whole.
      { nodes: 1000, edges: 3000, layout: 'hierarchy', group: true },
      { nodes: 1000, edges: 3000, layout: 'hierarchy' },
      { nodes: 1000, edges: 3000, layout: 'fcose' },
      { nodes: 2000, edges: 6000, layout: 'fcose' },
      { nodes: 2000, edges: 6000, layout: 'hierarchy' },
      { nodes: 2000, edges: 6000, layout: 'grid' },
      { nodes: 2000, edges: 6000, layout: 'grid', baseline: true },
      { nodes: 500, edges: 1500, layout: 'fcose' },
      { nodes: 150, edges: 450, layout: 'fcose' },
      { nodes: 5000, edges: 15000, layout: 'fcose' },
    ];
    // Median total of each 2,000-node row, to state Plexus's time as a multiple of bare Cytoscape's in the same run.
    const sameSize: { row: (string | number)[]; total: number; baseline?: boolean }[] = [];
    // BENCH_GRAPH_CASES=1000 runs only the cases of that many nodes (a short run on a busy machine).
    const only = process.env.BENCH_GRAPH_CASES ? Number(process.env.BENCH_GRAPH_CASES) : null;
    for (const c of cases.filter((x) => only === null || x.nodes === only)) {
      const runs: RenderTimes[] = [];
      // The 5,000-node case shows how it degrades; one run says enough and saves a minute.
      const count = c.nodes > 2000 ? 1 : graphRuns;
      for (let i = 0; i < count; i++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.setContent(
          '<!doctype html><html><body style="margin:0"><div id="cy" style="width:1400px;height:900px"></div></body></html>',
        );
        await page.addScriptTag({ content: bundle.outputFiles[0].text });
        runs.push(
          await page.evaluate((o) => {
            const w = window as unknown as {
              runGraphBench: (x: typeof o) => Promise<RenderTimes>;
              runGraphBaseline: (x: typeof o) => Promise<RenderTimes>;
            };
            return o.baseline ? w.runGraphBaseline(o) : w.runGraphBench(o);
          }, c),
        );
        await page.close();
      }
      const median = (k: keyof RenderTimes) => percentiles(runs.map((r) => r[k])).p50;
      ctx.log(`graph-render: ${c.nodes}/${c.edges} ${c.layout}: ${Math.round(median('totalMs'))} ms`);
      const row: (string | number)[] = [
        c.baseline
          ? `Baseline: bare Cytoscape, ${formatNumber(c.nodes)} nodes / ${formatNumber(c.edges)} edges, grid, no labels or arrows`
          : `Graph ${formatNumber(c.nodes)} nodes / ${formatNumber(c.edges)} edges, ${c.layout === 'fcose' && c.nodes > radialAbove ? `fcose chosen: radial tree (fCoSE gives way above ${formatNumber(radialAbove)} nodes)` : c.layout}${c.group ? ', collapsed by kind into group nodes (what the explorer opens with)' : ''}`,
        'layout + first frame (median of runs)',
        formatNumber(median('totalMs')),
        `layout ${formatNumber(median('layoutMs'))}, add ${formatNumber(median('addMs'))}, frame ${formatNumber(median('firstFrameMs'))}${c.baseline ? '' : `, zoom step ${formatNumber(median('zoomFrameMs'))}, wheel step ${formatNumber(median('wheelFrameMs'))}`}`,
        c.nodes === 2000 && c.layout === 'fcose' && !c.baseline
          ? median('totalMs') < 2000
            ? 'yes (< 2 s)'
            : 'no (≥ 2 s)'
          : c.nodes === 1000
            ? median('totalMs') < 3000
              ? 'yes (< 3 s)'
              : 'no (≥ 3 s)'
            : '',
      ];
      rows.push(row);
      if (c.nodes === 2000) sameSize.push({ row, total: median('totalMs'), baseline: c.baseline });
    }
    const floor = sameSize.find((r) => r.baseline)?.total;
    for (const r of sameSize)
      if (!r.baseline && floor) r.row[3] = `${r.row[3]}; ${(r.total / floor).toFixed(2)}× bare Cytoscape`;
  } finally {
    await browser.close();
  }
  return rows;
}

function catalogEntities(): string[] {
  const languages = ['go', 'ts', 'java', 'python', 'rust'];
  const lifecycles = ['production', 'experimental', 'deprecated'];
  const out: unknown[] = [];
  for (let t = 0; t < teams; t++)
    out.push({ blueprint: teamBp, identifier: `team-${t}`, title: `Team ${t}` });
  for (let i = 0; i < entities; i++) {
    const id = `svc-${String(i).padStart(5, '0')}`;
    out.push({
      blueprint: svcBp,
      identifier: id,
      title: `Service ${i}`,
      properties: {
        language: languages[i % languages.length],
        tier: 1 + (i % 3),
        lifecycle: lifecycles[(i * 7) % 3],
        repo: `https://git.example.com/${id}`,
      },
      relations: {
        ownedBy: `team-${(i * 31) % teams}`,
        dependsOn: i > 10 ? [`svc-${String((i * 13) % i).padStart(5, '0')}`] : [],
      },
    });
  }
  // Serialised before the clock starts; 5,000 entities a request.
  const bodies: string[] = [];
  for (let i = 0; i < out.length; i += 5000)
    bodies.push(JSON.stringify({ entities: out.slice(i, i + 5000) }));
  return bodies;
}

async function catalogTable(ctx: BenchContext): Promise<(string | number)[][]> {
  const plexus = await ctx.startPlexus();
  const api = createClient(plexus.url, plexus.token);
  try {
    const model = async () =>
      ((await api.send('GET', '/api/v1/blueprints')) as { blueprints: Blueprint[] }).blueprints;
    if (!(await model()).some((b) => b.identifier === svcBp)) {
      await api.post('/api/v1/blueprints', { identifier: teamBp, title: 'Team', schema: { properties: {} } });
      await api.post('/api/v1/blueprints', {
        identifier: svcBp,
        title: 'Service',
        schema: {
          properties: {
            language: { type: 'string', enum: ['go', 'ts', 'java', 'python', 'rust'] },
            tier: { type: 'integer' },
            lifecycle: { type: 'string', enum: ['production', 'experimental', 'deprecated'] },
            repo: { type: 'string', format: 'url' },
          },
        },
        relations: { ownedBy: { target: teamBp }, dependsOn: { target: svcBp, many: true } },
      });
    }
    await plexus.services.schemas.ready(plexus.services.models.version());
    const all = await model();
    const bp = all.find((b) => b.identifier === svcBp)!;
    const count = async () =>
      (
        (await api.graphql(`{ c: ${pluralFieldOf(svcBp)}Connection { totalCount } }`)) as {
          c: { totalCount: number };
        }
      ).c.totalCount;
    if ((await count()) < entities) {
      ctx.log(`graph-render: loading ${formatNumber(entities)} ${svcBp} entities`);
      await postBulk(
        api,
        catalogEntities(),
        'application/json',
        (n, total) => n % 4 === 0 && ctx.log(`graph-render: batch ${n}/${total}`),
      );
    }
    const total = await count();
    const base = defaultDefinition(bp, all);
    const cases: { name: string; def: ViewDefinition; page?: number }[] = [
      { name: 'first page (50 rows, 6 columns incl. 2 relations)', def: base },
      { name: 'filter: tier = 1', def: { ...base, filters: [{ field: 'tier', op: 'eq', value: 1 }] } },
      {
        name: 'filter: language is go and lifecycle is not deprecated',
        def: {
          ...base,
          filters: [
            { field: 'language', op: 'eq', value: 'go' },
            { field: 'lifecycle', op: 'neq', value: 'deprecated' },
          ],
        },
      },
      {
        name: 'filter by related entity: owned by team-7',
        def: { ...base, filters: [{ field: 'ownedBy', op: 'is', value: `${teamBp}:team-7` }] },
      },
      { name: 'quick text filter: "Service 123"', def: { ...base, q: 'Service 123' } },
      { name: 'sort by tier, descending', def: { ...base, sort: { field: 'tier', direction: 'DESC' } } },
      { name: 'last page (offset 49,950)', def: base, page: Math.ceil(entities / base.pageSize) },
    ];
    const rows: (string | number)[][] = [];
    for (const c of cases) {
      const { query, variables } = buildTableQuery(bp, all, c.def, c.page ?? 1);
      for (let i = 0; i < 5; i++) await api.graphql(query, variables); // warm-up: plans cached, pages hot
      const times: number[] = [];
      let rowsSeen = 0;
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        const data = (await api.graphql(query, variables)) as {
          rows: unknown[];
          total: { totalCount: number };
        };
        times.push(performance.now() - t);
        rowsSeen = data.total.totalCount;
      }
      const p = percentiles(times);
      ctx.log(`graph-render: table ${c.name}: p50 ${p.p50.toFixed(1)} ms`);
      rows.push([
        `Catalog table, ${formatNumber(total)} entities: ${c.name}`,
        `p50 / p95 of ${samples} (${formatNumber(rowsSeen)} matches)`,
        formatNumber(p.p50, 1),
        `p95 ${formatNumber(p.p95, 1)}`,
        p.p95 < 300 ? 'yes (< 300 ms)' : 'no (≥ 300 ms)',
      ]);
    }
    return rows;
  } finally {
    api.close();
    await plexus.close();
  }
}

const bench: Benchmark = {
  name: 'graph-render',
  title: 'Graph rendering in Chromium and catalog table queries (issue 3)',
  async run(ctx) {
    // Other work on the machine shows up in every number here; the load average says how much there was.
    const loadBefore = loadavg()[0];
    // BENCH_GRAPH_ONLY=1 leaves out the catalog table (it loads 50,000 entities first).
    const rows = [
      ...(await graphRender(ctx)),
      ...(process.env.BENCH_GRAPH_ONLY ? [] : await catalogTable(ctx)),
    ];
    const load = `1-minute load average ${loadBefore.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end, on 2 cores`;
    return {
      title: bench.title,
      table: { columns: ['Case', 'Measure', 'ms', 'Detail (ms)', 'Within target'], rows },
      notes: [
        'Graphs: a seeded synthetic catalog graph (8 kinds, a spanning tree plus edges biased to hubs) drawn by web/src/graph/make-cytoscape.ts, bundled with esbuild, in headless Debian Chromium without GPU (software canvas). Time = elements added + layout until `layoutstop` + the first painted frame; "zoom step" is one programmatic zoom change until the next frame (a full redraw), "wheel step" one mouse-wheel event on the canvas until the next frame (what a user zooming feels; large graphs then move a snapshot).',
        "Degrading with size (web/src/graph/make-cytoscape.ts): above 150 nodes fCoSE gives way to the radial tree (its force refinement costs seconds at 500 nodes here, and its spectral draft alone piled nodes with the same neighbours on one spot, where a click hit the node on top); above 300 elements edge labels go and node labels hide below 9 px on screen; above 1,500 elements edges become haystack lines without arrows (arrows return on the selected node's edges and the blast radius) node labels show only when zoomed in, and the style sets only the properties such a graph uses (Cytoscape applies every property of the style to every element, re-checking a node's edges each time); above 150 nodes the elements are added already placed as the radial tree, so the layout step only fits the viewport. Measured on 2026-11-29 with A/B runs in the same browser (6 each): the lean style made the 2,000-node case ~15% faster, placing on add ~10%; leaving node labels out of the style until zoomed in, thinner edges and simpler shapes changed nothing measurable.",
        'The same code on the machine of the earlier runs (Intel Xeon, 2 cores, 2026-11-29 morning), 2,000 nodes / 6,000 edges, Plexus against bare Cytoscape in the same run: 2,038 vs 2,065 ms, 2,040 vs 1,938 ms, 2,392 vs 1,907 ms; before the changes above (2026-11-28): 2,287-2,475 vs 1,877-1,993 ms. That machine drew even bare Cytoscape in about 2 s, so the target held there only at its floor; the multiple of bare Cytoscape is the number that carries across machines. Earlier runs on the AMD EPYC machine (2026-11-29): 919 vs 845 ms (1.09×) and 1,072 vs 874 ms (1.23×).',
        "The baseline row is bare Cytoscape (flat style, no labels, grid layout) in the same browser: the floor of this machine, so the rows above read as Plexus's cost on top of it.",
        `Machine load during this run: ${load}; other work sharing the cores slows every row alike.`,
        `Catalog table: the exact GraphQL the table sends (web/src/routes/catalog/table-query.ts): one page of rows plus \`Connection.totalCount\`, timed as the round trip over loopback to a Plexus in this process (keep-alive, sequential), after 5 warm-up requests. ${entities.toLocaleString('en-US')} entities with 4 properties, an owner (${teams} teams) and a dependency each.`,
      ],
    };
  },
};

export default bench;
