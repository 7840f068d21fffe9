import { describe, expect, it } from 'vitest';
import { groupGraph, groupId, isGroupId, isOwnerRelation } from './group-graph.ts';
import type { GraphEdge, GraphNode } from './make-cytoscape.ts';

const node = (blueprint: string, i: number, distance = 1): GraphNode => ({
  id: `${blueprint}:${blueprint}-${i}`,
  blueprint,
  identifier: `${blueprint}-${i}`,
  label: `${blueprint} ${i}`,
  distance,
});

/** A root library with `services` dependants and `teams` owners of them. */
function star(services: number) {
  const root = node('library', 0, 0);
  const nodes = [root];
  const edges: GraphEdge[] = [];
  for (let i = 0; i < services; i++) {
    const s = node('service', i);
    nodes.push(s);
    edges.push({ source: s.id, target: root.id, relation: 'dependsOn' });
  }
  return { root, nodes, edges };
}

describe('groupGraph', () => {
  it('leaves a graph at or below the threshold as it is', () => {
    const { nodes, edges } = star(9);
    const g = groupGraph(nodes, edges, { mode: 'kind', collapseAbove: 10 });
    expect(g.nodes).toHaveLength(10);
    expect(g.edges).toHaveLength(9);
    expect(g.members.size).toBe(0);
  });

  it('collapses the nodes of one kind at one rank into a group node with their count', () => {
    const { root, nodes, edges } = star(43);
    const g = groupGraph(nodes, edges, {
      mode: 'kind',
      collapseAbove: 10,
      keep: new Set([root.id]),
      label: (key, n) => `${n} ${key}s`,
    });
    const id = groupId('kind', 'service', 1);
    expect(g.nodes.map((n) => n.id).sort()).toEqual([id, root.id].sort());
    const group = g.nodes.find((n) => n.id === id)!;
    expect(group).toMatchObject({ label: '43 services', members: 43, blueprint: 'service' });
    expect(g.members.get(id)).toHaveLength(43);
    // 43 edges of one relation between the same two ends become one edge that counts them.
    expect(g.edges).toEqual([{ source: id, target: root.id, relation: 'dependsOn', count: 43 }]);
  });

  it('never groups kept nodes, small groups or groups the reader opened', () => {
    const { root, nodes, edges } = star(20);
    const lone = node('team', 1, 1);
    const all = [...nodes, lone];
    const id = groupId('kind', 'service', 1);
    const closed = groupGraph(all, edges, { mode: 'kind', collapseAbove: 5, keep: new Set([root.id]) });
    expect(closed.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([root.id, lone.id, id]));
    const open = groupGraph(all, edges, {
      mode: 'kind',
      collapseAbove: 5,
      keep: new Set([root.id]),
      expanded: new Set([id]),
    });
    expect(open.nodes).toHaveLength(all.length);
  });

  it('keeps nodes of one kind at different ranks in different groups', () => {
    const nodes = [
      node('library', 0, 0),
      ...[1, 2, 3, 4, 5].map((i) => node('service', i, 1)),
      ...[6, 7, 8, 9, 10].map((i) => node('service', i, 2)),
    ];
    const ranks = new Map(nodes.map((n) => [n.id, n.distance === 2 ? -1 : (n.distance ?? 0)]));
    const g = groupGraph(nodes, [], { mode: 'kind', collapseAbove: 5, ranks, keep: new Set([nodes[0].id]) });
    expect([...g.members.keys()].sort()).toEqual(
      [groupId('kind', 'service', -1), groupId('kind', 'service', 1)].sort(),
    );
  });

  it('groups by owner, with one group for entities without an owner', () => {
    const { root, nodes, edges } = star(12);
    const ownerOf = new Map(nodes.slice(1, 7).map((n) => [n.id, 'team:payments']));
    const g = groupGraph(nodes, edges, {
      mode: 'owner',
      collapseAbove: 5,
      keep: new Set([root.id]),
      ownerOf,
    });
    expect(g.members.get(groupId('owner', 'team:payments', 1))).toHaveLength(6);
    expect(g.members.get(groupId('owner', '', 1))).toHaveLength(6);
    expect(g.nodes.find((n) => n.id === groupId('owner', '', 1))?.blueprint).toBe('service');
  });

  it('drops edges inside one group and keeps group ids apart from entity keys', () => {
    const { nodes, edges } = star(8);
    const inner: GraphEdge = { source: nodes[1].id, target: nodes[2].id, relation: 'calls' };
    const g = groupGraph(nodes, [...edges, inner], {
      mode: 'kind',
      collapseAbove: 5,
      keep: new Set([nodes[0].id]),
    });
    expect(g.edges.some((e) => e.relation === 'calls')).toBe(false);
    expect(isGroupId(groupId('kind', 'service', 1))).toBe(true);
    expect(isGroupId('service:group|x')).toBe(false);
  });
});

describe('isOwnerRelation', () => {
  it('recognises owner relations by name or title', () => {
    expect(isOwnerRelation('ownedBy')).toBe(true);
    expect(isOwnerRelation('owner')).toBe(true);
    expect(isOwnerRelation('team', 'Owned by')).toBe(true);
    expect(isOwnerRelation('dependsOn', 'Depends on')).toBe(false);
  });
});
