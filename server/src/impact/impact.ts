import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { loadScopedQuery, scopeParams } from '../auth/read-scope-cypher.ts';
import { type Db, readRows } from '../db/driver.ts';
import { checkLimit } from '../db/pages.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { relTypeOf } from '../model/names.ts';
import type { Model } from '../model/types.ts';

export type ImpactDirection = 'upstream' | 'downstream' | 'both';

/** One entity reached from the root. */
export interface ImpactNode {
  identifier: string;
  blueprint: string;
  title: string | null;
  distance: number;
  direction: 'upstream' | 'downstream' | 'both';
}

/** An edge between two entities of the result; ends are `blueprint:identifier` keys. */
export interface ImpactEdge {
  source: string;
  target: string;
  relation: string;
}

export interface ImpactResult {
  root: { identifier: string; blueprint: string; title: string | null };
  nodes: ImpactNode[];
  edges: ImpactEdge[];
  truncated: boolean;
}

/** Impact ("blast radius") and path questions over any relation types of the model. */
export interface ImpactService {
  impact(
    root: { blueprint: string; identifier: string },
    options: { scope: ReadScope; direction?: ImpactDirection; relations?: string[]; depth?: number; limit?: number },
  ): Promise<ImpactResult>;
  paths(
    from: { blueprint: string; identifier: string },
    to: { blueprint: string; identifier: string },
    options: { scope: ReadScope; relations?: string[]; depth?: number; limit?: number },
  ): Promise<{ paths: { nodes: ImpactResult['root'][]; edges: ImpactEdge[] }[] }>;
}

const maxDepth = 10;

/**
 * Maps relation identifiers to relationship types, checking each against the model; no list
 * means every relation of every blueprint. Also returns type → relation name per source blueprint.
 */
export function relationTypes(model: Model, relations?: string[]): { types: string[]; nameOf: (sourceBlueprint: string, type: string) => string } {
  const all = new Map<string, string>();
  for (const bp of model.values()) for (const name of Object.keys(bp.relations ?? {})) all.set(name, relTypeOf(name));
  let names = [...all.keys()];
  if (relations && relations.length > 0) {
    const unknown = relations.filter((r) => !all.has(r));
    if (unknown.length > 0) {
      throw new BadRequestError(`unknown relation ${unknown.map((u) => `"${u}"`).join(', ')}; relations are named by their identifier, e.g. ${[...all.keys()].slice(0, 5).join(', ')}`);
    }
    names = relations;
  }
  return {
    types: [...new Set(names.map((n) => all.get(n)!))],
    nameOf(sourceBlueprint, type) {
      for (const name of Object.keys(model.get(sourceBlueprint)?.relations ?? {})) if (relTypeOf(name) === type) return name;
      return type;
    },
  };
}

function checkDepth(depth: number | undefined, fallback: number): number {
  const d = depth ?? fallback;
  if (!Number.isInteger(d) || d < 1 || d > maxDepth) throw new BadRequestError(`depth must be an integer from 1 to ${maxDepth}`);
  return d;
}

/** Creates the impact service: one read query per question. */
export function createImpactService(deps: { db: Db; models: BlueprintStore }): ImpactService {
  const { db, models } = deps;
  return {
    async impact(root, options) {
      const direction = options.direction ?? 'downstream';
      if (!['upstream', 'downstream', 'both'].includes(direction)) throw new BadRequestError('direction must be upstream, downstream or both');
      models.require(root.blueprint);
      const depth = checkDepth(options.depth, 3);
      const limit = checkLimit(options.limit, 5000, 50_000);
      const { types, nameOf } = relationTypes(models.current(), options.relations);
      const [row] = await readRows<{
        root: ImpactResult['root'];
        nodes: (Omit<ImpactNode, 'direction'> & { identifier: string | null; direction: 'upstream' | 'downstream'; out: [string, string, string][] })[];
        rootOut: [string, string, string][];
      }>(db, loadScopedQuery('impact/impact', options.scope, {}, { depth }), {
        ...scopeParams(options.scope),
        identifier: root.identifier,
        blueprint: root.blueprint,
        types,
        downstream: direction !== 'upstream',
        upstream: direction !== 'downstream',
        limit: neo4j.int(limit + 1),
      });
      if (!row) throw new NotFoundError(`entity "${root.identifier}" of blueprint "${root.blueprint}" does not exist`);
      const key = (bp: string, id: string) => `${bp}:${id}`;
      const rootKey = key(root.blueprint, root.identifier);
      const reached = row.nodes.filter((n) => n.identifier !== null);
      const truncated = reached.length > limit;
      const byKey = new Map<string, ImpactNode & { out: [string, string, string][] }>();
      for (const n of reached.slice(0, limit)) {
        const k = key(n.blueprint, n.identifier);
        if (k === rootKey) continue;
        const seen = byKey.get(k);
        if (seen) {
          seen.distance = Math.min(seen.distance, n.distance);
          if (seen.direction !== n.direction) seen.direction = 'both';
        } else byKey.set(k, { ...n, direction: n.direction });
      }
      const inResult = new Set([rootKey, ...byKey.keys()]);
      const edges: ImpactEdge[] = [];
      const seenEdges = new Set<string>();
      const addEdges = (sourceBp: string, sourceId: string, out: [string, string, string][]) => {
        for (const [type, bp, id] of out) {
          const target = key(bp, id);
          if (!inResult.has(target)) continue;
          const e = { source: key(sourceBp, sourceId), target, relation: nameOf(sourceBp, type) };
          const k = `${e.source}|${e.relation}|${e.target}`;
          if (!seenEdges.has(k)) {
            seenEdges.add(k);
            edges.push(e);
          }
        }
      };
      addEdges(root.blueprint, root.identifier, row.rootOut);
      for (const n of byKey.values()) addEdges(n.blueprint, n.identifier, n.out);
      const nodes = [...byKey.values()]
        .map(({ out, ...n }) => n)
        .sort((a, b) => a.distance - b.distance || a.blueprint.localeCompare(b.blueprint) || a.identifier.localeCompare(b.identifier));
      return { root: row.root, nodes, edges, truncated };
    },

    async paths(from, to, options) {
      models.require(from.blueprint);
      models.require(to.blueprint);
      const depth = checkDepth(options.depth, 6);
      const limit = checkLimit(options.limit, 20, 50_000);
      const { types, nameOf } = relationTypes(models.current(), options.relations);
      const rows = await readRows<{ nodes: ImpactResult['root'][]; edges: { type: string; source: [string, string]; target: [string, string] }[] }>(
        db,
        loadScopedQuery('impact/paths', options.scope, {}, { depth }),
        { ...scopeParams(options.scope), from: from.identifier, fromBlueprint: from.blueprint, to: to.identifier, toBlueprint: to.blueprint, types, limit: neo4j.int(limit) },
      );
      return {
        paths: rows.map((r) => ({
          nodes: r.nodes,
          edges: r.edges.map((e) => ({ source: `${e.source[0]}:${e.source[1]}`, target: `${e.target[0]}:${e.target[1]}`, relation: nameOf(e.source[0], e.type) })),
        })),
      };
    },
  };
}
