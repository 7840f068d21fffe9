import { type Model, type RelationRole, relTypeOf } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { scopeParams, visibleSlots } from '../auth/read-scope-cypher.ts';
import { type Db, readRows } from '../db/driver.ts';
import { checkLimit } from '../db/pages.ts';
import { cypherInt, loadQuery } from '../db/query-loader.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';

export type ImpactDirection = 'upstream' | 'downstream' | 'both';

/** What `include` can add to an impact result: the people side of each affected entity. */
export const impactIncludes = ['owners', 'members', 'oncall'] as const;
export type ImpactInclude = (typeof impactIncludes)[number];

/** An entity named in a result. */
export interface EntityRef {
  identifier: string;
  blueprint: string;
  title: string | null;
}

/** One entity reached from the root. */
export interface ImpactNode {
  identifier: string;
  blueprint: string;
  title: string | null;
  distance: number;
  direction: 'upstream' | 'downstream' | 'both';
  /** `blueprint:identifier` keys from the root to this entity (one shortest path in the result). */
  path: string[];
  /** With `include=owners` (or members, oncall): the owners of the entity (ownership relations). */
  owners?: EntityRef[];
  /** With `include=members`: the members of its owners (membership relations). */
  members?: EntityRef[];
  /** With `include=oncall`: who is on call for it or for its owners (oncall relations). */
  onCall?: EntityRef[];
}

/** Counts of an impact result; teams and people only with `include`. */
export interface ImpactSummary {
  /** Affected entities per blueprint. */
  byBlueprint: Record<string, number>;
  entities: number;
  /** Distinct owners of affected entities, each with how many affected entities it owns. */
  teams: (EntityRef & { entities: number })[];
  /** Distinct members and on-call people of those owners (and on-call of the entities). */
  people: (EntityRef & { member: boolean; onCall: boolean; entities: number })[];
  /** Distinct on-call people. */
  onCall: EntityRef[];
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
  summary: ImpactSummary;
}

/** Impact ("blast radius") and path questions over any relation types of the model. */
export interface ImpactService {
  impact(
    root: { blueprint: string; identifier: string },
    options: {
      scope: ReadScope;
      direction?: ImpactDirection;
      /** Relation identifiers to follow; default: those of role `dependency`. */
      relations?: string[];
      depth?: number;
      limit?: number;
      /** Adds the people side: owners, members of owners, on-call. */
      include?: string[];
    },
  ): Promise<ImpactResult>;
  /**
   * The impact walk (cypher/impact/walk.cypher) as query text and parameters, for a caller that
   * continues the query: its rows are `root, n, distance, direction` (no rows when the root does
   * not exist or cannot be read; `n` null when nothing is reached).
   */
  walk(
    root: { blueprint: string; identifier: string },
    options: { scope: ReadScope; direction?: ImpactDirection; relations?: string[]; depth?: number; limit?: number },
  ): { query: string; params: Record<string, unknown> };
  paths(
    from: { blueprint: string; identifier: string },
    to: { blueprint: string; identifier: string },
    options: { scope: ReadScope; relations?: string[]; depth?: number; limit?: number },
  ): Promise<{ paths: { nodes: ImpactResult['root'][]; edges: ImpactEdge[] }[] }>;
}

const maxDepth = 10;

/** Relationship types of the relations that play `role` in any blueprint of the model. */
export function typesOfRole(model: Model, role: RelationRole): string[] {
  const types = new Set<string>();
  for (const bp of model.values()) {
    for (const [name, rel] of Object.entries(bp.relations ?? {})) if ((rel.role ?? 'other') === role) types.add(relTypeOf(name));
  }
  return [...types];
}

/**
 * Maps relation identifiers to relationship types, checking each against the model. No list
 * means the relations of `fallbackRole` when given and the model has some, else every relation
 * of every blueprint; `["*"]` means every relation. Also returns type → relation name per source
 * blueprint.
 */
export function relationTypes(
  model: Model,
  relations?: string[],
  fallbackRole?: RelationRole,
): { types: string[]; nameOf: (sourceBlueprint: string, type: string) => string } {
  const all = new Map<string, string>();
  for (const bp of model.values()) for (const name of Object.keys(bp.relations ?? {})) all.set(name, relTypeOf(name));
  let names = [...all.keys()];
  if (fallbackRole && !(relations && relations.length > 0)) {
    const ofRole = new Set<string>();
    for (const bp of model.values()) for (const [name, rel] of Object.entries(bp.relations ?? {})) if ((rel.role ?? 'other') === fallbackRole) ofRole.add(name);
    if (ofRole.size > 0) names = [...ofRole];
  }
  if (relations && relations.length === 1 && relations[0] === '*') relations = [...all.keys()];
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

function checkInclude(include: string[] | undefined): Set<ImpactInclude> {
  const out = new Set<ImpactInclude>();
  for (const i of include ?? []) {
    if (!(impactIncludes as readonly string[]).includes(i)) {
      throw new BadRequestError(`include "${i}" is not known; include takes a comma-separated list of ${impactIncludes.join(', ')}`);
    }
    out.add(i as ImpactInclude);
  }
  return out;
}

/**
 * Gives each node one shortest path from the root through the result's edges: a node at
 * distance d steps from a neighbour at distance d - 1 (either edge direction, as `both` walks).
 */
function setPaths(rootKey: string, nodes: ImpactNode[], edges: ImpactEdge[]): void {
  const key = (n: { blueprint: string; identifier: string }) => `${n.blueprint}:${n.identifier}`;
  const distance = new Map<string, number>([[rootKey, 0]]);
  for (const n of nodes) distance.set(key(n), n.distance);
  const neighbours = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    const list = neighbours.get(a);
    if (list) list.push(b);
    else neighbours.set(a, [b]);
  };
  for (const e of edges) {
    link(e.source, e.target);
    link(e.target, e.source);
  }
  const paths = new Map<string, string[]>([[rootKey, [rootKey]]]);
  // Nodes are sorted by distance, so every parent's path is known before its children ask.
  for (const n of nodes) {
    const k = key(n);
    const parent = (neighbours.get(k) ?? []).find((m) => distance.get(m) === n.distance - 1 && paths.has(m));
    const path = parent ? [...(paths.get(parent) as string[]), k] : [rootKey, k];
    paths.set(k, path);
    n.path = path;
  }
}

function summarise(nodes: ImpactNode[]): ImpactSummary {
  const byBlueprint: Record<string, number> = {};
  for (const n of nodes) byBlueprint[n.blueprint] = (byBlueprint[n.blueprint] ?? 0) + 1;
  return { byBlueprint, entities: nodes.length, teams: [], people: [], onCall: [] };
}

type PeopleRow = {
  entities: { key: [string, string]; owners: EntityRef[]; onCall: EntityRef[] }[];
  teams: { team: [string, string]; members: EntityRef[]; onCall: EntityRef[] }[];
};

/** Adds owners, members and on-call to each node and the summary: one query for the whole result. */
async function addPeople(db: Db, model: Model, scope: ReadScope, nodes: ImpactNode[], include: Set<ImpactInclude>, summary: ImpactSummary): Promise<void> {
  const [row] = await readRows<PeopleRow>(db, loadQuery('impact/people', visibleSlots(scope, 'o', 'p')), {
    ...scopeParams(scope),
    keys: nodes.map((n) => [n.blueprint, n.identifier]),
    ownership: typesOfRole(model, 'ownership'),
    membership: typesOfRole(model, 'membership'),
    oncall: typesOfRole(model, 'oncall'),
    members: include.has('members'),
    withOnCall: include.has('oncall'),
  });
  const key = (r: { blueprint: string; identifier: string }) => `${r.blueprint}:${r.identifier}`;
  const ref = (r: EntityRef): EntityRef => ({ identifier: r.identifier, blueprint: r.blueprint, title: r.title ?? null });
  const teams = new Map((row?.teams ?? []).map((t) => [`${t.team[0]}:${t.team[1]}`, t]));
  const perEntity = new Map((row?.entities ?? []).map((e) => [`${e.key[0]}:${e.key[1]}`, e]));
  const teamCounts = new Map<string, EntityRef & { entities: number }>();
  const people = new Map<string, EntityRef & { member: boolean; onCall: boolean; entities: number }>();
  const person = (p: EntityRef, as: 'member' | 'onCall', seen: Set<string>) => {
    const k = key(p);
    let entry = people.get(k);
    if (!entry) people.set(k, (entry = { ...ref(p), member: false, onCall: false, entities: 0 }));
    entry[as] = true;
    if (!seen.has(k)) {
      seen.add(k);
      entry.entities++;
    }
  };
  const byName = (a: EntityRef, b: EntityRef) => a.blueprint.localeCompare(b.blueprint) || a.identifier.localeCompare(b.identifier);
  for (const n of nodes) {
    const found = perEntity.get(key(n));
    const owners = (found?.owners ?? []).map(ref).sort(byName);
    const members = new Map<string, EntityRef>();
    const onCall = new Map<string, EntityRef>();
    for (const p of found?.onCall ?? []) onCall.set(key(p), ref(p));
    for (const o of owners) {
      const t = teams.get(key(o));
      for (const p of t?.members ?? []) members.set(key(p), ref(p));
      for (const p of t?.onCall ?? []) onCall.set(key(p), ref(p));
      const counted = teamCounts.get(key(o));
      if (counted) counted.entities++;
      else teamCounts.set(key(o), { ...o, entities: 1 });
    }
    const seen = new Set<string>();
    for (const p of members.values()) person(p, 'member', seen);
    for (const p of onCall.values()) person(p, 'onCall', seen);
    n.owners = owners;
    if (include.has('members')) n.members = [...members.values()].sort(byName);
    if (include.has('oncall')) n.onCall = [...onCall.values()].sort(byName);
  }
  summary.teams = [...teamCounts.values()].sort((a, b) => b.entities - a.entities || byName(a, b));
  summary.people = [...people.values()].sort((a, b) => b.entities - a.entities || byName(a, b));
  summary.onCall = summary.people.filter((p) => p.onCall).map(({ identifier, blueprint, title }) => ({ identifier, blueprint, title }));
}

/** Creates the impact service: one read query per question. */
export function createImpactService(deps: { db: Db; models: BlueprintStore }): ImpactService {
  const { db, models } = deps;
  /** The walk's checked settings and parameters; `query` is `impact/walk` or a file including it. */
  const prepareWalk = (
    query: string,
    root: { blueprint: string; identifier: string },
    options: Parameters<ImpactService['walk']>[1],
    limit: number,
  ) => {
    const direction = options.direction ?? 'downstream';
    if (!['upstream', 'downstream', 'both'].includes(direction)) throw new BadRequestError('direction must be upstream, downstream or both');
    models.require(root.blueprint);
    const depth = checkDepth(options.depth, 3);
    const { types, nameOf } = relationTypes(models.current(), options.relations, 'dependency');
    return {
      nameOf,
      query: loadQuery(query, { depth: cypherInt(depth, { min: 1, max: maxDepth }), ...visibleSlots(options.scope, 'root', 'b') }),
      params: {
        ...scopeParams(options.scope),
        identifier: root.identifier,
        blueprint: root.blueprint,
        types,
        downstream: direction !== 'upstream',
        upstream: direction !== 'downstream',
        limit: neo4j.int(limit),
      },
    };
  };
  return {
    walk(root, options) {
      const { query, params } = prepareWalk('impact/walk', root, options, checkLimit(options.limit, 5000, 50_000));
      return { query, params };
    },

    async impact(root, options) {
      const limit = checkLimit(options.limit, 5000, 50_000);
      const include = checkInclude(options.include);
      const model = models.current();
      // One more than the limit: a full answer says it was cut.
      const { query, params, nameOf } = prepareWalk('impact/impact', root, options, limit + 1);
      const [row] = await readRows<{
        root: ImpactResult['root'];
        nodes: (Omit<ImpactNode, 'direction'> & { identifier: string | null; direction: 'upstream' | 'downstream'; out: [string, string, string][] })[];
        rootOut: [string, string, string][];
      }>(db, query, params);
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
      const nodes: ImpactNode[] = [...byKey.values()]
        .map(({ out, ...n }) => ({ ...n, path: [] as string[] }))
        .sort((a, b) => a.distance - b.distance || a.blueprint.localeCompare(b.blueprint) || a.identifier.localeCompare(b.identifier));
      setPaths(rootKey, nodes, edges);
      const summary = summarise(nodes);
      if (include.size > 0 && nodes.length > 0) await addPeople(db, model, options.scope, nodes, include, summary);
      return { root: row.root, nodes, edges, truncated, summary };
    },

    async paths(from, to, options) {
      models.require(from.blueprint);
      models.require(to.blueprint);
      const depth = checkDepth(options.depth, 6);
      const limit = checkLimit(options.limit, 20, 50_000);
      const { types, nameOf } = relationTypes(models.current(), options.relations);
      const rows = await readRows<{ nodes: ImpactResult['root'][]; edges: { type: string; source: [string, string]; target: [string, string] }[] }>(
        db,
        loadQuery('impact/paths', { depth: cypherInt(depth, { min: 1, max: maxDepth }), ...visibleSlots(options.scope, 'a', 'b', 'y') }),
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
