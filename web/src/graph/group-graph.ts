/**
 * Collapsing a big graph into group nodes ("43 services"): above a size threshold, the nodes of
 * one kind (or one owner) at the same rank from the root become one node, and their edges
 * become edges of the group. Pure data in, data out; the explorer draws the result and expands
 * a group when it is clicked.
 */
import type { GraphEdge, GraphNode } from './make-cytoscape.ts';

/** What nodes are grouped by. */
export type GroupMode = 'none' | 'kind' | 'owner';

/** Options of `groupGraph`. */
export interface GroupOptions {
  mode: GroupMode;
  /** Rank (or distance) of each node: only nodes of the same rank share a group. Default: `distance`. */
  ranks?: Map<string, number>;
  /** Nodes never grouped (the root, the selection). */
  keep?: ReadonlySet<string>;
  /** Groups the reader opened (their ids): drawn as their members. */
  expanded?: ReadonlySet<string>;
  /** Graphs of at most this many nodes are drawn as they are. */
  collapseAbove?: number;
  /** Smaller groups than this stay as single nodes. */
  minGroup?: number;
  /** Owner key of each node, for `mode: 'owner'` (nodes without one share the group "no owner"). */
  ownerOf?: ReadonlyMap<string, string>;
  /** Label of a group node, e.g. `(key, 43) => '43 services'`. */
  label?: (key: string, count: number) => string;
}

/** Default of `collapseAbove`: about what stays readable as single nodes on a laptop screen. */
export const collapseAboveDefault = 150;

/** A graph with groups, and which entity is inside which group. */
export interface GroupedGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Group id → the ids of its members. */
  members: Map<string, string[]>;
}

/** Id of a group node; `|` cannot occur in a blueprint identifier, so it never meets an entity key. */
export const groupId = (mode: GroupMode, key: string, rank: number) => `group|${mode}|${key}|${rank}`;

/** True for ids made by `groupId`. */
export const isGroupId = (id: string) => id.startsWith('group|');

/**
 * Groups `nodes` as `options` say. Edges between two members of one group disappear; edges to
 * or from members become one edge per relation and pair of ends, with `count` the edges it stands for.
 * @example groupGraph(nodes, edges, { mode: 'kind', keep: new Set([root]) })
 */
export function groupGraph(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  options: GroupOptions,
): GroupedGraph {
  const collapseAbove = options.collapseAbove ?? collapseAboveDefault;
  const minGroup = options.minGroup ?? 5;
  if (options.mode === 'none' || nodes.length <= collapseAbove)
    return { nodes: [...nodes], edges: [...edges], members: new Map() };
  const bucket = new Map<string, { key: string; rank: number; ids: GraphNode[] }>();
  for (const n of nodes) {
    if (options.keep?.has(n.id)) continue;
    const key = options.mode === 'kind' ? n.blueprint : (options.ownerOf?.get(n.id) ?? '');
    const rank = options.ranks?.get(n.id) ?? n.distance ?? 0;
    const id = groupId(options.mode, key, rank);
    if (options.expanded?.has(id)) continue;
    const b = bucket.get(id) ?? bucket.set(id, { key, rank, ids: [] }).get(id)!;
    b.ids.push(n);
  }
  const groupOf = new Map<string, string>();
  const members = new Map<string, string[]>();
  const out: GraphNode[] = [];
  for (const [id, b] of bucket) {
    if (b.ids.length < minGroup) continue;
    members.set(
      id,
      b.ids.map((n) => n.id),
    );
    for (const n of b.ids) groupOf.set(n.id, id);
    const kinds = new Set(b.ids.map((n) => n.blueprint));
    out.push({
      id,
      // A group of one kind keeps the kind's colour and shape.
      blueprint: kinds.size === 1 ? b.ids[0].blueprint : '',
      identifier: b.key,
      label: options.label?.(b.key, b.ids.length) ?? `${b.ids.length} ${b.key || 'others'}`,
      distance: Math.abs(b.rank),
      members: b.ids.length,
    });
  }
  const kept = nodes.filter((n) => !groupOf.has(n.id));
  const seen = new Map<string, GraphEdge>();
  for (const e of edges) {
    const source = groupOf.get(e.source) ?? e.source;
    const target = groupOf.get(e.target) ?? e.target;
    if (source === target && source !== e.source) continue;
    const k = `${source}|${e.relation}|${target}`;
    const had = seen.get(k);
    if (had) had.count = (had.count ?? 1) + 1;
    else seen.set(k, { ...e, source, target, count: 1 });
  }
  return { nodes: [...kept, ...out], edges: [...seen.values()], members };
}

/**
 * Whether a relation says who owns an entity ("ownedBy", "owner", or titled "Owned by"/"Owner").
 * @example isOwnerRelation('ownedBy') // true
 */
export function isOwnerRelation(name: string, title?: string | null): boolean {
  return /^(owner|owners|ownedBy|owned_by|owned-by)$/i.test(name) || /^(owner|owned by)\b/i.test(title ?? '');
}
