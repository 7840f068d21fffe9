/** Turns API answers (impact, neighbourhoods) into graph nodes and edges. */
import type { ImpactResult } from '../api/types.ts';
import type { GraphEdge, GraphNode } from './make-cytoscape.ts';

/** Nodes (root first, at distance 0) and edges of an impact answer. */
export function impactToGraph(r: ImpactResult): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const rootKey = `${r.root.blueprint}:${r.root.identifier}`;
  const nodes: GraphNode[] = [
    {
      id: rootKey,
      blueprint: r.root.blueprint,
      identifier: r.root.identifier,
      label: r.root.title || r.root.identifier,
      distance: 0,
    },
    ...r.nodes.map((n) => ({
      id: `${n.blueprint}:${n.identifier}`,
      blueprint: n.blueprint,
      identifier: n.identifier,
      label: n.title || n.identifier,
      distance: n.distance,
    })),
  ];
  return { nodes, edges: r.edges.map((e) => ({ source: e.source, target: e.target, relation: e.relation })) };
}

/** Query string of the impact endpoint. */
export function impactQuery(o: {
  direction: 'upstream' | 'downstream' | 'both';
  depth: number;
  relations?: string[];
  /** Without chosen relations: the server's default (those of role `dependency`) instead of all. */
  dependencyDefault?: boolean;
}): string {
  const p = new URLSearchParams({ direction: o.direction, depth: String(o.depth) });
  // Exploring walks every relation unless some are chosen; a blast radius follows dependencies.
  if (o.relations && o.relations.length > 0) p.set('relations', o.relations.join(','));
  else if (!o.dependencyDefault) p.set('relations', '*');
  return p.toString();
}
