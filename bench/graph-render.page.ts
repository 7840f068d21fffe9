/**
 * Browser side of bench/graph-render.bench.ts: bundled by esbuild and run in headless
 * Chromium. Draws a synthetic catalog graph with the UI's own `makeCytoscape` and reports
 * how long layout and the first frame took.
 */
import cytoscape from 'cytoscape';
import { groupGraph } from '../web/src/graph/group-graph.ts';
import { rankNodes } from '../web/src/graph/hierarchy-layout.ts';
import {
  type GraphEdge,
  type GraphNode,
  type LayoutName,
  makeCytoscape,
} from '../web/src/graph/make-cytoscape.ts';

const kinds = [
  'service',
  'library',
  'team',
  'cloudResource',
  'pipeline',
  'deployment',
  'incident',
  'environment',
];

/** A seeded PRNG (mulberry32): the same graph on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A connected graph shaped like a catalog: a spanning tree plus edges that favour busy nodes. */
export function syntheticGraph(
  nodes: number,
  edges: number,
  seed = 1,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const rnd = random(seed);
  const ns: GraphNode[] = [];
  for (let i = 0; i < nodes; i++) {
    const blueprint = kinds[i % kinds.length];
    ns.push({ id: `${blueprint}:n${i}`, blueprint, identifier: `n${i}`, label: `${blueprint}-${i}` });
  }
  const es: GraphEdge[] = [];
  const seen = new Set<string>();
  // Every edge end, so picking from it favours busy nodes (hubs such as shared databases).
  const ends: number[] = [];
  const add = (a: number, b: number) => {
    const k = `${a}>${b}`;
    if (a === b || seen.has(k)) return;
    seen.add(k);
    es.push({ source: ns[a].id, target: ns[b].id, relation: `rel${(a + b) % 5}` });
    ends.push(b);
  };
  for (let i = 1; i < nodes; i++) add(i, Math.floor(rnd() * i));
  while (es.length < edges) {
    const a = Math.floor(rnd() * nodes);
    add(a, rnd() < 0.5 ? Math.floor(rnd() * nodes) : ends[Math.floor(rnd() * ends.length)]);
  }
  return { nodes: ns, edges: es };
}

function nextFrame(): Promise<number> {
  return new Promise((ok) => requestAnimationFrame(() => ok(performance.now())));
}

/** One measured draw: elements added, layout to `layoutstop`, then the first painted frame. */
async function run(options: {
  nodes: number;
  edges: number;
  layout: LayoutName;
  /** Collapse by kind as the explorer does (ranks from the first node as root), inside the clock. */
  group?: boolean;
}): Promise<{
  addMs: number;
  layoutMs: number;
  firstFrameMs: number;
  totalMs: number;
  zoomFrameMs: number;
  wheelFrameMs: number;
}> {
  const el = document.getElementById('cy')!;
  const graph = makeCytoscape(el);
  try {
    const full = syntheticGraph(options.nodes, options.edges);
    const root = full.nodes[0].id;
    const t0 = performance.now();
    const { nodes, edges } = options.group
      ? groupGraph(full.nodes, full.edges, {
          mode: 'kind',
          ranks: rankNodes(
            full.nodes.map((n) => n.id),
            full.edges,
            root,
          ),
          keep: new Set([root]),
        })
      : full;
    graph.setElements(nodes, edges, { root });
    const t1 = performance.now();
    await graph.runLayout(options.layout, { animate: false, root });
    const t2 = performance.now();
    // Cytoscape draws on the next animation frame; the frame after that is on screen.
    await nextFrame();
    const t3 = await nextFrame();
    // Cost of one zoom step (what panning and zooming feel like): mean of a few frames.
    const frames: number[] = [];
    for (let i = 0; i < 6; i++) {
      const s = performance.now();
      graph.zoomBy(i % 2 === 0 ? 1.2 : 1 / 1.2);
      await nextFrame();
      frames.push((await nextFrame()) - s);
    }
    // What a mouse wheel feels like: wheel events on the canvas (Cytoscape may draw a snapshot while the wheel turns).
    const wheel: number[] = [];
    const canvas = el.querySelector('canvas:last-of-type') ?? el;
    const box = el.getBoundingClientRect();
    for (let i = 0; i < 6; i++) {
      const s = performance.now();
      canvas.dispatchEvent(
        new WheelEvent('wheel', {
          deltaY: i % 2 === 0 ? -120 : 120,
          clientX: box.left + box.width / 2,
          clientY: box.top + box.height / 2,
          bubbles: true,
          cancelable: true,
        }),
      );
      await nextFrame();
      wheel.push((await nextFrame()) - s);
    }
    return {
      addMs: t1 - t0,
      layoutMs: t2 - t1,
      firstFrameMs: t3 - t2,
      totalMs: t3 - t0,
      zoomFrameMs: frames.reduce((a, b) => a + b, 0) / frames.length,
      wheelFrameMs: wheel.reduce((a, b) => a + b, 0) / wheel.length,
    };
  } finally {
    graph.destroy();
  }
}

/**
 * The floor of this browser and machine: bare Cytoscape, one flat style, no labels or arrows,
 * a grid layout. What `run` costs above this is Plexus's styling and layout.
 */
async function baseline(options: {
  nodes: number;
  edges: number;
}): Promise<{
  addMs: number;
  layoutMs: number;
  firstFrameMs: number;
  totalMs: number;
  zoomFrameMs: number;
  wheelFrameMs: number;
}> {
  const { nodes, edges } = syntheticGraph(options.nodes, options.edges);
  const cy = cytoscape({
    container: document.getElementById('cy'),
    style: [
      { selector: 'node', style: { width: 26, height: 26, 'background-color': '#5b5bd6' } },
      { selector: 'edge', style: { width: 1, 'curve-style': 'haystack' } },
    ],
  });
  try {
    const t0 = performance.now();
    cy.add([
      ...nodes.map((n) => ({ group: 'nodes' as const, data: { id: n.id } })),
      ...edges.map((e, i) => ({
        group: 'edges' as const,
        data: { id: `e${i}`, source: e.source, target: e.target },
      })),
    ]);
    const t1 = performance.now();
    await new Promise<void>((ok) => {
      const layout = cy.layout({ name: 'grid', animate: false });
      layout.one('layoutstop', () => ok());
      layout.run();
    });
    const t2 = performance.now();
    await nextFrame();
    const t3 = await nextFrame();
    return {
      addMs: t1 - t0,
      layoutMs: t2 - t1,
      firstFrameMs: t3 - t2,
      totalMs: t3 - t0,
      zoomFrameMs: Number.NaN,
      wheelFrameMs: Number.NaN,
    };
  } finally {
    cy.destroy();
  }
}

const api = window as unknown as { runGraphBench: typeof run; runGraphBaseline: typeof baseline };
api.runGraphBench = run;
api.runGraphBaseline = baseline;
