/// <reference path="./cytoscape-fcose.d.ts" />
/**
 * Imperative Cytoscape wrapper: draws catalog entities coloured and shaped by blueprint, runs
 * layouts, expands, highlights a blast radius and exports PNG. Knows nothing of Solid; the
 * reactive side is `create-graph-view.ts`. `destroy()` releases the canvas and listeners.
 */
import cytoscape, {
  type Core,
  type ElementDefinition,
  type LayoutOptions,
  type NodeSingular,
} from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { hierarchyPositions } from './hierarchy-layout.ts';
import { kindStyle } from './kind-style.ts';
import { radialPositions } from './radial-layout.ts';

let registered = false;
function registerExtensions(): void {
  // Cytoscape extensions register globally and complain when registered twice.
  if (registered) return;
  cytoscape.use(fcose);
  registered = true;
}

/** A node of the graph: an entity, keyed `blueprint:identifier`. */
export interface GraphNode {
  id: string;
  blueprint: string;
  identifier: string;
  label: string;
  /** Hops from the root, when known (drives the concentric layout and the legend). */
  distance?: number;
  /** For a group node (see group-graph.ts): how many entities it stands for. */
  members?: number;
}

/** A directed edge: `source` has relation `relation` to `target`. */
export interface GraphEdge {
  source: string;
  target: string;
  relation: string;
  /** The relation's title, shown on hover and for the selection's edges (default: `relation`). */
  title?: string;
  /** How many edges this one stands for (edges of a group node). */
  count?: number;
}

export type LayoutName = 'fcose' | 'radial' | 'cose' | 'hierarchy' | 'concentric' | 'circle' | 'grid';

/** The layouts offered; all ship with cytoscape except fcose (cytoscape-fcose). */
export const layoutNames: { name: LayoutName; title: string }[] = [
  { name: 'fcose', title: 'Force (fCoSE)' },
  { name: 'radial', title: 'Radial tree' },
  { name: 'hierarchy', title: 'Hierarchy' },
  { name: 'concentric', title: 'Concentric' },
  { name: 'cose', title: 'Force (CoSE)' },
  { name: 'circle', title: 'Circle' },
  { name: 'grid', title: 'Grid' },
];

/** Above this many elements the graph trades detail for speed (straight edges, no labels when zoomed out). */
export const largeGraphThreshold = 1500;

/** Most nodes fCoSE refines with its force simulation; larger graphs get the spectral draft only. */
export const refinedLayoutLimit = 150;

/**
 * Above this many nodes fCoSE gives way to the radial tree. fCoSE refines with a force simulation
 * whose cost grows with the square of the node count (seconds at 500 nodes on a small machine);
 * without it (its spectral "draft") nodes with the same neighbours land on one spot, so a
 * 600-node neighbourhood was a few piles where a click hit whichever node was on top. The radial
 * tree takes milliseconds and keeps every node apart.
 */
export const radialAbove = refinedLayoutLimit;

/** Largest zoom a fit may reach. */
const maxFitZoom = 1.3;

/** Key of an edge (the same relation between the same two entities is one edge). */
export const edgeId = (e: GraphEdge) => `${e.source}|${e.relation}|${e.target}`;

export interface GraphController {
  cy: Core;
  /**
   * Replaces everything on the canvas. A graph above `radialAbove` nodes is added already placed
   * as a radial tree around `root` (what `runLayout('fcose' | 'radial')` would do next).
   */
  setElements(nodes: GraphNode[], edges: GraphEdge[], options?: { root?: string }): void;
  /** Adds what is not there yet, placing new nodes around `near`; returns the ids of new nodes. */
  addElements(nodes: GraphNode[], edges: GraphEdge[], near?: string): string[];
  /** Runs a layout and resolves when it stops. */
  runLayout(
    name: LayoutName,
    options?: { root?: string; incremental?: boolean; animate?: boolean },
  ): Promise<void>;
  fit(): void;
  zoomBy(factor: number): void;
  /** Dims everything but `keys` (node ids) and the edges among them; `root` gets a ring. */
  highlight(keys: Set<string> | null, root?: string): void;
  select(id: string | null): void;
  /** A PNG of the whole graph (not only the viewport) on the theme's background. */
  exportPng(): Blob;
  /** Re-reads the theme's colours (after a light/dark switch). */
  applyTheme(): void;
  onNodeTap(handler: (id: string) => void): void;
  onBackgroundTap(handler: () => void): void;
  destroy(): void;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function nodeElement(n: GraphNode): ElementDefinition {
  const group = n.members !== undefined;
  // A group of mixed kinds (by owner) is a neutral rounded box.
  const { color, shape } = n.blueprint
    ? kindStyle(n.blueprint)
    : { color: '#8b8d98', shape: 'round-rectangle' };
  return {
    group: 'nodes',
    data: {
      id: n.id,
      label: n.label,
      blueprint: n.blueprint,
      identifier: n.identifier,
      color,
      shape,
      distance: n.distance ?? 0,
      emphasis: 11,
      ...(group
        ? { members: n.members, size: Math.round(34 + 8 * Math.log2(Math.max(1, n.members ?? 1))) }
        : {}),
    },
    ...(group ? { classes: 'group' } : {}),
  };
}

function edgeElement(e: GraphEdge): ElementDefinition {
  const title = e.title ?? e.relation;
  return {
    group: 'edges',
    data: {
      id: edgeId(e),
      source: e.source,
      target: e.target,
      relation: e.relation,
      label: e.count && e.count > 1 ? `${title} ×${e.count}` : title,
    },
  };
}

function toElements(nodes: GraphNode[], edges: GraphEdge[]): ElementDefinition[] {
  const out: ElementDefinition[] = nodes.map(nodeElement);
  const ids = new Set(nodes.map((n) => n.id));
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) out.push(edgeElement(e));
  return out;
}

/** Font size of labels that are always shown (root, selection, hover), in model units at `zoom`. */
const emphasisFont = (zoom: number) => Math.max(11, 12 / zoom);

/** How much detail a graph of this many elements draws. */
type Detail = 'full' | 'busy' | 'large';

function detailFor(elements: number): Detail {
  return elements > largeGraphThreshold ? 'large' : elements > 300 ? 'busy' : 'full';
}

function styles(detail: Detail): cytoscape.StylesheetJson {
  const large = detail === 'large';
  const label = cssVar('--graph-label', '#2a2a36');
  const edge = cssVar('--graph-edge', '#b8b8c8');
  const accent = cssVar('--accent', '#5b5bd6');
  const danger = cssVar('--danger', '#d93d42');
  const bg = cssVar('--graph-bg', '#ffffff');
  return [
    {
      selector: 'node',
      style: {
        'background-color': 'data(color)',
        shape: 'data(shape)' as never,
        width: 26,
        height: 26,
        label: 'data(label)',
        color: label,
        'font-size': 11,
        'font-family': 'Inter, system-ui, sans-serif',
        'text-valign': 'bottom',
        'text-margin-y': 5,
        // Labels vanish when they would be unreadably small: the single largest win with thousands of nodes.
        'min-zoomed-font-size': detail === 'full' ? 6 : large ? 12 : 9,
        // A large graph sets no more properties than it needs: Cytoscape pays for every property it
        // applies to every element (and re-checks the node's edges each time), whatever its value.
        ...(large
          ? {}
          : {
              'text-max-width': '120px',
              'text-wrap': 'ellipsis',
              // An outline draws every label twice; large graphs go without (their labels show only zoomed in).
              'text-outline-color': bg,
              'text-outline-width': 2,
              'border-width': 2,
              'border-color': bg,
            }),
      },
    },
    {
      selector: 'edge',
      style: {
        width: 1.4,
        'line-color': edge,
        // Haystack edges are plain lines drawn in bulk, several times cheaper than straight edges with arrows;
        // direction comes back on the edges that matter (selection, blast radius) below.
        'curve-style': large ? 'haystack' : 'bezier',
        ...(large
          ? {}
          : {
              'target-arrow-color': edge,
              'target-arrow-shape': 'triangle',
              'arrow-scale': 0.8,
            }),
      },
    },
    {
      // Edge labels (the relation's title) only where the reader looks: hover and the selection.
      selector: 'edge.hover, edge.focus',
      style: {
        label: 'data(label)',
        'font-size': 10,
        color: label,
        'text-rotation': 'autorotate',
        'text-background-color': bg,
        'text-background-opacity': 0.9,
        'text-background-padding': '2px',
        'min-zoomed-font-size': 0,
        'z-index': 20,
        ...(large ? { 'curve-style': 'straight' } : {}),
      },
    },
    {
      // Group nodes ("43 services") are few and name what they hide: always labelled.
      selector: 'node.group',
      style: {
        width: 'data(size)',
        height: 'data(size)',
        'border-width': 2,
        'border-style': 'dashed',
        'border-color': label,
        'font-weight': 'bold',
        'min-zoomed-font-size': 0,
        'text-max-width': '160px',
        'text-wrap': 'wrap',
      },
    },
    {
      selector: 'node.root',
      style: { width: 36, height: 36, 'border-width': 4, 'border-color': accent, 'font-weight': 'bold' },
    },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': accent, 'overlay-opacity': 0 } },
    {
      // Semantic zoom: labels show only when legible, except for the root, the selection and
      // what the pointer is on, which keep a readable size at any zoom (see emphasisFont).
      selector: 'node.root, node:selected, node.hover',
      style: {
        'min-zoomed-font-size': 0,
        'font-size': 'data(emphasis)' as never,
        'text-outline-color': bg,
        'text-outline-width': 2,
        'z-index': 30,
      },
    },
    { selector: '.faded', style: { opacity: 0.12, 'text-opacity': 0 } },
    { selector: 'node.impact', style: { 'border-width': 3, 'border-color': danger } },
    {
      selector: 'edge.impact',
      style: {
        'line-color': danger,
        'target-arrow-color': danger,
        'target-arrow-shape': 'triangle',
        'curve-style': large ? 'straight' : 'bezier',
        width: 2.2,
      },
    },
    {
      selector: 'edge.focus',
      style: {
        'line-color': accent,
        'target-arrow-color': accent,
        'target-arrow-shape': 'triangle',
        'curve-style': large ? 'straight' : 'bezier',
        width: 2,
      },
    },
    { selector: 'node.fresh', style: { 'border-width': 3, 'border-color': accent } },
  ];
}

function layoutOptions(
  name: LayoutName,
  size: number,
  opts: { root?: string; incremental?: boolean; animate?: boolean },
): LayoutOptions {
  const animate = opts.animate ?? size < 400;
  switch (name) {
    case 'fcose':
      return {
        name: 'fcose',
        // Only small graphs get here (see radialAbove): the refined layout is affordable.
        quality: 'default',
        randomize: !opts.incremental,
        animate,
        animationDuration: 450,
        fit: true,
        padding: 40,
        nodeRepulsion: () => 6500,
        idealEdgeLength: () => 70,
        nodeSeparation: 70,
        packComponents: true,
      } as LayoutOptions;
    case 'concentric':
      return {
        name,
        // Rings by distance from the root: the blast radius reads outward.
        concentric: (n: NodeSingular) => 100 - Number(n.data('distance') ?? 0),
        levelWidth: () => 1,
        minNodeSpacing: 24,
        animate,
        fit: true,
        padding: 40,
      } as LayoutOptions;
    case 'hierarchy':
      // Positions come from hierarchyPositions (runLayout); the preset layout only applies them.
      return { name: 'preset', animate, fit: true, padding: 40 } as LayoutOptions;
    case 'cose':
      return {
        name,
        animate,
        randomize: !opts.incremental,
        fit: true,
        padding: 40,
        nodeRepulsion: () => 9000,
        idealEdgeLength: () => 70,
        numIter: 600,
      } as LayoutOptions;
    default:
      return { name, animate, fit: true, padding: 40 } as LayoutOptions;
  }
}

/**
 * Creates a Cytoscape graph in `container`.
 * @example const g = makeCytoscape(div); g.setElements(nodes, edges); await g.runLayout('fcose'); g.destroy();
 */
export function makeCytoscape(container: HTMLElement): GraphController {
  registerExtensions();
  let detail: Detail = 'full';
  const cy = cytoscape({
    container,
    elements: [],
    style: styles('full'),
    minZoom: 0.05,
    maxZoom: 4,
    boxSelectionEnabled: false,
  });
  // Cytoscape measures where its container is on the page once and re-measures only on a resize,
  // a scroll or a transition. Anything that moves the canvas without those (content loading
  // above it, a transform, a layout shift) sends every click to the wrong point, or outside the
  // graph, with no error. Measuring again as each gesture starts costs one layout read per click.
  const renderer = (
    cy as unknown as {
      renderer(): {
        invalidateContainerClientCoordsCache(): void;
        checkNodeHitAt(node: NodeSingular, x: number, y: number, threshold: number): boolean;
      };
    }
  ).renderer();
  // Cytoscape tests a point against a polygon node (diamond, star, hexagon...) with a vertical
  // ray, and a ray through one of its corners counts that corner twice: a click exactly on the
  // centre line of a diamond misses it (and a whole-pixel click there is common once a node is
  // centred). A point a hair to the side is tested too.
  const hitAt = renderer.checkNodeHitAt.bind(renderer);
  renderer.checkNodeHitAt = (node, x, y, threshold) => hitAt(node, x, y, threshold) || hitAt(node, x + 1e-3, y, threshold);
  const remeasure = () => renderer.invalidateContainerClientCoordsCache();
  const gestures = new AbortController();
  for (const type of ['mousedown', 'touchstart', 'wheel', 'mouseover'])
    container.addEventListener(type, remeasure, { capture: true, passive: true, signal: gestures.signal });
  let running: cytoscape.Layouts | null = null;
  /**
   * Root of the radial tree the elements were added in (see setElements), until anything is
   * added or laid out; `''` for the default root, null when not placed.
   */
  let placedAround: string | null = null;

  /** Styles for a graph of `size` elements; called before adding, so new elements are styled once. */
  const tune = (size: number) => {
    const next = detailFor(size);
    if (next !== detail) {
      detail = next;
      cy.style(styles(detail));
      // While a large graph is panned or zoomed by hand, Cytoscape moves a snapshot of it
      // instead of redrawing thousands of long edges every frame (no public setter exists).
      (cy as unknown as { renderer(): { textureOnViewport: boolean } }).renderer().textureOnViewport =
        detail === 'large';
    }
  };

  /** Fits the viewport to the nodes' shapes, labels left out (measuring thousands of labels is slow). */
  const fitNodes = () => {
    const bb = cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false });
    const pad = 40;
    const fitZoom = Math.min(
      (cy.width() - 2 * pad) / Math.max(bb.w, 1),
      (cy.height() - 2 * pad) / Math.max(bb.h, 1),
    );
    const zoom = Math.min(maxFitZoom, cy.maxZoom(), Math.max(cy.minZoom(), fitZoom));
    cy.viewport({
      zoom,
      pan: { x: (cy.width() - zoom * (bb.x1 + bb.x2)) / 2, y: (cy.height() - zoom * (bb.y1 + bb.y2)) / 2 },
    });
  };

  /** Keeps the always-shown labels (root, selection, hover) readable at the current zoom. */
  const emphasise = (nodes: cytoscape.NodeCollection = cy.nodes('.root, :selected, .hover')) => {
    nodes.data('emphasis', emphasisFont(cy.zoom()));
  };
  let zoomFrame = 0;
  cy.on('zoom', () => {
    if (zoomFrame) return;
    zoomFrame = requestAnimationFrame(() => {
      zoomFrame = 0;
      if (!cy.destroyed()) emphasise();
    });
  });
  cy.on('mouseover', 'node', (e) => {
    const n = e.target as NodeSingular;
    n.addClass('hover');
    n.connectedEdges().addClass('hover');
    emphasise(n);
  });
  cy.on('mouseout', 'node', (e) => {
    const n = e.target as NodeSingular;
    n.removeClass('hover');
    n.connectedEdges().removeClass('hover');
  });
  cy.on('mouseover', 'edge', (e) => e.target.addClass('hover'));
  cy.on('mouseout', 'edge', (e) => e.target.removeClass('hover'));

  const controller: GraphController = {
    cy,
    setElements(nodes, edges, options = {}) {
      running?.stop();
      const elements = toElements(nodes, edges);
      // Placing thousands of nodes as they are added saves Cytoscape a pass that moves each of them afterwards.
      placedAround = null;
      if (nodes.length > radialAbove) {
        const at = radialPositions(
          nodes.map((n) => n.id),
          edges,
          { root: options.root },
        );
        for (const el of elements) if (el.group === 'nodes') el.position = at.get(el.data.id as string);
        placedAround = options.root ?? '';
      } else {
        // Until the layout runs, nodes sit on a grid: nodes all on one spot give their edges
        // "invalid endpoints" (a Cytoscape warning per edge whenever a frame is drawn before the layout).
        const columns = Math.ceil(Math.sqrt(nodes.length));
        let i = 0;
        for (const el of elements)
          if (el.group === 'nodes') {
            el.position = { x: (i % columns) * 80, y: Math.floor(i / columns) * 80 };
            i++;
          }
      }
      cy.batch(() => {
        cy.elements().remove();
        tune(elements.length);
        cy.add(elements);
      });
    },
    addElements(nodes, edges, near) {
      placedAround = null;
      const fresh = nodes.filter((n) => cy.getElementById(n.id).empty());
      const center = near ? cy.getElementById(near) : null;
      const origin = center?.nonempty() ? center.position() : { x: 0, y: 0 };
      cy.batch(() => {
        cy.nodes('.fresh').removeClass('fresh');
        tune(cy.elements().length + fresh.length + edges.length);
        const els = toElements(fresh, []);
        els.forEach((el, i) => {
          // New neighbours start on a ring around the expanded node so the layout moves them a little, not across the canvas.
          const angle = (2 * Math.PI * i) / Math.max(1, els.length);
          el.position = { x: origin.x + 90 * Math.cos(angle), y: origin.y + 90 * Math.sin(angle) };
          el.classes = 'fresh';
        });
        cy.add(els);
        const all = new Set(cy.nodes().map((n) => n.id()));
        const newEdges = edges.filter(
          (e) => all.has(e.source) && all.has(e.target) && cy.getElementById(edgeId(e)).empty(),
        );
        cy.add(newEdges.map(edgeElement));
      });
      return fresh.map((n) => n.id);
    },
    runLayout(name, opts = {}) {
      running?.stop();
      const size = cy.nodes().length;
      const effective: LayoutName = name === 'fcose' && size > radialAbove ? 'radial' : name;
      let options = layoutOptions(effective, size, opts);
      if (effective === 'radial' && placedAround === (opts.root ?? '')) {
        // Added in this very layout: only the viewport is left to fit.
        placedAround = null;
        fitNodes();
        return Promise.resolve();
      }
      placedAround = null;
      if (opts.incremental && size > refinedLayoutLimit && (effective === 'fcose' || effective === 'cose')) {
        // New neighbours already sit on a ring around the node they came from. A force layout
        // would move the whole big graph (and fCoSE cannot refine without its spectral draft
        // there: it threw "reading 'nodeIndexes'"), so the drawing stays as it is.
        return Promise.resolve();
      }
      if (effective === 'hierarchy') {
        const positions = hierarchyPositions(
          cy.nodes().map((n) => n.id()),
          cy.edges().map((e) => ({ source: e.data('source') as string, target: e.data('target') as string })),
          { root: opts.root },
        );
        options = {
          ...options,
          positions: (n: NodeSingular) => positions.get(n.id()) ?? n.position(),
        } as unknown as LayoutOptions;
      }
      if (effective === 'radial') {
        const positions = radialPositions(
          cy.nodes().map((n) => n.id()),
          cy.edges().map((e) => ({ source: e.data('source') as string, target: e.data('target') as string })),
          { root: opts.root },
        );
        options = {
          ...options,
          name: 'preset',
          positions: (n: NodeSingular) => positions.get(n.id()) ?? n.position(),
        } as unknown as LayoutOptions;
      }
      // Busy graphs are fitted to their nodes' shapes afterwards: a layout's own fit measures
      // every label, which costs more than drawing them at this size.
      const labelFit = detail === 'full';
      const layout = cy.layout({ ...options, fit: labelFit } as LayoutOptions);
      running = layout;
      const done = new Promise<void>((resolve) =>
        layout.one('layoutstop', () => {
          if (!labelFit) fitNodes();
          // Fitting three nodes would blow them up to poster size; keep small graphs at a readable scale.
          else if (cy.zoom() > maxFitZoom) {
            cy.zoom(maxFitZoom);
            cy.center();
          }
          resolve();
        }),
      );
      layout.run();
      return done;
    },
    fit() {
      if (detail !== 'full') return fitNodes();
      cy.fit(cy.elements(), 40);
      if (cy.zoom() > maxFitZoom) {
        cy.zoom(maxFitZoom);
        cy.center();
      }
    },
    zoomBy(factor) {
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    },
    highlight(keys, root) {
      cy.batch(() => {
        cy.elements().removeClass('faded impact root');
        if (root) emphasise(cy.getElementById(root).addClass('root'));
        if (!keys) return;
        cy.elements().addClass('faded');
        const nodes = cy.nodes().filter((n) => keys.has(n.id()));
        nodes.removeClass('faded').addClass('impact');
        nodes.edgesWith(nodes).removeClass('faded').addClass('impact');
        if (root) cy.getElementById(root).removeClass('impact faded').addClass('root');
      });
    },
    select(id) {
      cy.batch(() => {
        cy.$(':selected').unselect();
        cy.edges('.focus').removeClass('focus');
        if (!id) return;
        // The selected node's edges stand out (and get their arrows back in large graphs).
        const n = cy.getElementById(id);
        n.select().connectedEdges().addClass('focus');
        emphasise(n);
      });
    },
    exportPng() {
      return cy.png({
        full: true,
        scale: 2,
        bg: cssVar('--graph-bg', '#ffffff'),
        output: 'blob',
      }) as unknown as Blob;
    },
    applyTheme() {
      cy.style(styles(detail));
    },
    onNodeTap(handler) {
      cy.on('tap', 'node', (e) => handler(e.target.id()));
    },
    onBackgroundTap(handler) {
      cy.on('tap', (e) => {
        if (e.target === cy) handler();
      });
    },
    destroy() {
      gestures.abort();
      running?.stop();
      if (zoomFrame) cancelAnimationFrame(zoomFrame);
      cy.destroy();
    },
  };
  return controller;
}
