/**
 * Hierarchical layout for dependency graphs, in one pass over plain arrays: every node gets a
 * rank (what the root depends on above it, negative; what depends on the root below it,
 * positive; each hop one rank), nodes in a rank are ordered by where their neighbours in the
 * rank nearer the root sit (one barycentre sweep, fewer crossings), and a crowded rank wraps
 * into several rows instead of one endless strip. O(nodes + edges).
 */
import type { Point } from './radial-layout.ts';

type Edge = { source: string; target: string };

/**
 * Signed rank of every node: 0 for the root, -d for what the root reaches following edges
 * (its dependencies), +d for what reaches the root (its dependents). Nodes reached neither way
 * sit one rank above the node they depend on or below the node that depends on them. Without a
 * root (or for a component without it) the busiest node of the component is rank 0.
 * @example rankNodes(['a', 'b', 'c'], [{ source: 'a', target: 'b' }, { source: 'c', target: 'a' }], 'a') // a 0, b -1, c 1
 */
export function rankNodes(
  nodes: readonly string[],
  edges: readonly Edge[],
  root?: string,
): Map<string, number> {
  const out = new Map<string, string[]>();
  const inn = new Map<string, string[]>();
  const known = new Set(nodes);
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.target) || e.source === e.target) continue;
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e.target);
    (inn.get(e.target) ?? inn.set(e.target, []).get(e.target)!).push(e.source);
  }
  const rank = new Map<string, number>();
  const directed = (start: string, next: Map<string, string[]>, sign: number) => {
    const dist = new Map<string, number>([[start, 0]]);
    const queue = [start];
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q];
      for (const w of next.get(v) ?? []) {
        if (dist.has(w)) continue;
        dist.set(w, dist.get(v)! + 1);
        queue.push(w);
      }
    }
    return [...dist].map(([id, d]) => [id, d === 0 ? 0 : sign * d] as const);
  };
  /** Ranks what is still unranked next to ranked nodes, following each edge's direction. */
  const spread = (queue: string[]) => {
    for (let q = 0; q < queue.length; q++) {
      const v = queue[q];
      const r = rank.get(v)!;
      for (const [next, step] of [
        [out.get(v) ?? [], -1],
        [inn.get(v) ?? [], 1],
      ] as const) {
        for (const w of next) {
          if (rank.has(w)) continue;
          rank.set(w, r + step);
          queue.push(w);
        }
      }
    }
  };
  const rootKnown = root !== undefined && known.has(root);
  if (rootKnown) {
    // Nearest direction wins; a tie goes to the dependents (below), what a blast radius reads.
    for (const [id, r] of [...directed(root, out, -1), ...directed(root, inn, 1)]) {
      const had = rank.get(id);
      if (had === undefined || Math.abs(r) < Math.abs(had) || (Math.abs(r) === Math.abs(had) && r > had))
        rank.set(id, r);
    }
    spread([...rank.keys()]);
  }
  const degree = (id: string) => (out.get(id)?.length ?? 0) + (inn.get(id)?.length ?? 0);
  for (const id of [...nodes].sort((a, b) => degree(b) - degree(a))) {
    if (rank.has(id)) continue;
    rank.set(id, 0);
    spread([id]);
  }
  return rank;
}

/** Options of `hierarchyPositions`. */
export interface HierarchyOptions {
  root?: string;
  /** Ranks already computed (`rankNodes`); computed here when absent. */
  ranks?: Map<string, number>;
  /** Horizontal distance between neighbours in a row (px). */
  spacingX?: number;
  /** Vertical distance between ranks (px); rows of one rank are 60% of it apart. */
  spacingY?: number;
  /** Most nodes in one row; default grows with the square root of the node count. */
  maxPerRow?: number;
}

/**
 * Positions of a layered drawing: ranks top (dependencies) to bottom (dependents), each rank
 * centred on x = 0, the root's rank at y = 0.
 * @example hierarchyPositions(['a', 'b'], [{ source: 'b', target: 'a' }], { root: 'a' }).get('b') // { x: 0, y: 110 }
 */
export function hierarchyPositions(
  nodes: readonly string[],
  edges: readonly Edge[],
  options: HierarchyOptions = {},
): Map<string, Point> {
  const ranks = options.ranks ?? rankNodes(nodes, edges, options.root);
  const sx = options.spacingX ?? 90;
  const sy = options.spacingY ?? 110;
  const maxPerRow = options.maxPerRow ?? Math.max(10, Math.ceil(Math.sqrt(nodes.length) * 1.6));
  const byRank = new Map<number, string[]>();
  for (const id of nodes) {
    const r = ranks.get(id) ?? 0;
    (byRank.get(r) ?? byRank.set(r, []).get(r)!).push(id);
  }
  const neighbours = new Map<string, string[]>();
  for (const e of edges) {
    (neighbours.get(e.source) ?? neighbours.set(e.source, []).get(e.source)!).push(e.target);
    (neighbours.get(e.target) ?? neighbours.set(e.target, []).get(e.target)!).push(e.source);
  }
  // Order: ranks nearest the root first, so each rank can follow the one it hangs from.
  const order = [...byRank.keys()].sort((a, b) => Math.abs(a) - Math.abs(b) || b - a);
  const slot = new Map<string, number>(); // horizontal order (-0.5..0.5 of its rank's width)
  const rows = new Map<number, number>();
  for (const r of order) {
    const members = byRank.get(r)!;
    const inner = r > 0 ? r - 1 : r + 1;
    const key = new Map<string, number>();
    members.forEach((id, i) => {
      const from = (neighbours.get(id) ?? []).filter((w) => ranks.get(w) === inner && slot.has(w));
      key.set(
        id,
        from.length > 0 ? from.reduce((s, w) => s + slot.get(w)!, 0) / from.length : i / members.length - 0.5,
      );
    });
    members.sort((a, b) => key.get(a)! - key.get(b)! || (a < b ? -1 : 1));
    members.forEach((id, i) => {
      slot.set(id, members.length === 1 ? 0 : i / (members.length - 1) - 0.5);
    });
    rows.set(r, Math.ceil(members.length / maxPerRow));
  }
  // y of each rank: the root's rank at 0, the others stacked by how many rows they need.
  const top = new Map<number, number>();
  const sorted = [...byRank.keys()].sort((a, b) => a - b);
  let y = 0;
  for (const r of sorted) {
    top.set(r, y);
    y += (rows.get(r)! - 1) * sy * 0.6 + sy;
  }
  const shift = top.get(0) ?? 0;
  const out = new Map<string, Point>();
  for (const r of sorted) {
    const members = byRank.get(r)!;
    const perRow = Math.ceil(members.length / rows.get(r)!);
    members.forEach((id, i) => {
      const row = Math.floor(i / perRow);
      const inRow = Math.min(perRow, members.length - row * perRow);
      const col = i - row * perRow;
      // Rows of one rank are offset by half a step so their labels do not stack in columns.
      const stagger = row % 2 === 1 ? sx / 2 : 0;
      out.set(id, { x: (col - (inRow - 1) / 2) * sx + stagger, y: top.get(r)! - shift + row * sy * 0.6 });
    });
  }
  return out;
}
