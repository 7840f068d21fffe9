import { type Blueprint, relTypeOf, type StoredEntity, targetsOf } from '@plexus/contract';
import type { TargetRef } from '../catalog/entity-codec.ts';
import { type Db, readRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ForbiddenError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import {
  type AuthorizeOptions,
  access,
  assertCanReadBlueprint,
  assertCanWrite,
  type ReadFilter,
  type ReadScope,
  readScope,
  type WriteTarget,
} from './authorize.ts';
import { readsClaimOf } from './graphql-rules.ts';
import { ownerRelationOf } from './permissions.ts';
import type { Principal } from './principal.ts';
import { scopeParams, visibleSlots } from './read-scope-cypher.ts';

/** The claims @neo4j/graphql's generated @authorization rules read (see graphql-rules.ts). */
export interface GraphqlJwt {
  sub: string;
  /** Blueprints readable where the owner relation points at one of `teams`. */
  owning: string[];
  teams: string[];
  [claim: string]: unknown;
}

/**
 * Permission checks that need facts from the graph (which entities exist, who owns them); the
 * decisions themselves are authorize.ts's. One instance per process, shared by every surface.
 */
export interface AccessControl {
  readonly options: AuthorizeOptions;
  /** What the principal may read, across the current model. */
  scope(p: Principal): ReadScope;
  /** 403 when none of the blueprint's entities are readable; else the filter to apply. */
  assertCanReadBlueprint(p: Principal, blueprint: string): ReadFilter;
  /**
   * Drops entities the principal may not read and, from the ones left, relation values that
   * point at entities they may not read (or that do not exist yet), so no identifier leaks.
   */
  redactEntities(p: Principal, entities: StoredEntity[]): Promise<StoredEntity[]>;
  /**
   * 403 when the principal may write no entity at all (of `blueprint`, or of any blueprint): a
   * check that needs no body, so a refused write is answered before its body is read.
   */
  assertMayWriteEntities(p: Principal, blueprint?: string): void;
  /**
   * For past states of entities (audit before/after): keeps relation values whose target the
   * principal may read — any entity of a blueprint readable in full (it may since have been
   * deleted), and owned-only ones that exist and are owned by one of their teams — and drops the
   * rest, so a snapshot names nothing hidden. Snapshots whose shape is unknown come back unchanged.
   */
  redactSnapshots<T>(p: Principal, snapshots: T[]): Promise<T[]>;
  /** The references the principal may read, by the same rule as `redactSnapshots`, in order. */
  readableRefs<T extends TargetRef>(p: Principal, refs: T[]): Promise<T[]>;
  /** 403 naming every record of an upsert the principal may not create or update; nothing is written. */
  checkUpsert(p: Principal, records: unknown[], options?: { defaultBlueprint?: string }): Promise<void>;
  /** 403 naming every entity the principal may not delete. */
  checkDelete(p: Principal, refs: TargetRef[]): Promise<void>;
  /** The `jwt` of the GraphQL context. */
  graphqlJwt(p: Principal): GraphqlJwt;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Relation values (`id`, or `blueprint:id` when polymorphic) resolved to references. */
function refsOf(bp: Blueprint, relation: string, value: unknown): TargetRef[] {
  const def = bp.relations?.[relation];
  if (!def) return [];
  const targets = targetsOf(def);
  const values = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  const out: TargetRef[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const i = v.indexOf(':');
    if (targets.length > 1 && i > 0) out.push({ blueprint: v.slice(0, i), identifier: v.slice(i + 1) });
    else out.push({ blueprint: targets[0], identifier: v });
  }
  return out;
}

const key = (r: TargetRef) => `${r.blueprint}\u0000${r.identifier}`;

/** Creates the access control of the process. */
export function createAccessControl(deps: { db: Db; models: BlueprintStore; options: AuthorizeOptions }): AccessControl {
  const { db, models, options } = deps;

  async function visible(scope: ReadScope, refs: TargetRef[]): Promise<Set<string>> {
    if (refs.length === 0) return new Set();
    const rows = await readRows<TargetRef>(db, loadQuery('auth/visible-refs', visibleSlots(scope, 'n')), { refs, ...scopeParams(scope) });
    return new Set(rows.map(key));
  }

  /** Write targets of the given refs: existence and current owners from the graph. */
  async function targetsFor(p: Principal, items: { ref: TargetRef; index: number; declared: TargetRef[] }[], deleting: boolean): Promise<WriteTarget[]> {
    const model = models.current();
    const needsFacts = items.some(({ ref }) => {
      const bp = model.get(ref.blueprint);
      if (!bp) return false;
      // Read counts too: changing an existing entity needs read access to it.
      const ops = deleting ? (['delete', 'read'] as const) : (['create', 'update', 'read'] as const);
      return ops.some((op) => access(p, bp, op, options) !== 'all');
    });
    if (!needsFacts) return [];
    const rows = await readRows<{ blueprint: string; identifier: string; exists: boolean; owners: string[] }>(db, loadQuery('auth/entity-owners'), {
      refs: items.map(({ ref }) => {
        const bp = model.get(ref.blueprint);
        const owner = bp ? ownerRelationOf(bp, options.ownerRelation) : null;
        return { blueprint: ref.blueprint, identifier: ref.identifier, ownerType: owner ? relTypeOf(owner) : null };
      }),
    });
    return items.map(({ ref, index, declared }, i) => {
      const row = rows[i];
      const operation: WriteTarget['operation'] = deleting ? 'delete' : row.exists ? 'update' : 'create';
      const owners = row.exists ? row.owners : declared.map((d) => d.identifier);
      return { blueprint: ref.blueprint, identifier: ref.identifier, operation, owners, index };
    });
  }

  return {
    options,
    scope: (p) => readScope(p, models.current(), options),

    assertCanReadBlueprint(p, blueprint) {
      return assertCanReadBlueprint(p, models.require(blueprint), options);
    },

    async redactEntities(p, entities) {
      const scope = readScope(p, models.current(), options);
      if (scope.unrestricted || entities.length === 0) return entities;
      const model = models.current();
      const refs: TargetRef[] = [];
      for (const e of entities) {
        refs.push({ blueprint: e.blueprint, identifier: e.identifier });
        const bp = model.get(e.blueprint);
        if (bp) for (const [name, value] of Object.entries(e.relations)) refs.push(...refsOf(bp, name, value));
      }
      const seen = await visible(scope, refs);
      const out: StoredEntity[] = [];
      for (const e of entities) {
        if (!seen.has(key(e))) continue;
        const bp = model.get(e.blueprint);
        const relations: StoredEntity['relations'] = {};
        for (const [name, value] of Object.entries(e.relations)) {
          const def = bp?.relations?.[name];
          if (!bp || !def) continue;
          const poly = targetsOf(def).length > 1;
          const kept = refsOf(bp, name, value)
            .filter((r) => seen.has(key(r)))
            .map((r) => (poly ? `${r.blueprint}:${r.identifier}` : r.identifier));
          relations[name] = def.many ? kept : (kept[0] ?? null);
        }
        out.push({ ...e, relations });
      }
      return out;
    },

    assertMayWriteEntities(p, blueprint) {
      const writable = (bp: Blueprint) => access(p, bp, 'create', options) !== 'none' || access(p, bp, 'update', options) !== 'none';
      if (blueprint !== undefined) {
        if (!writable(models.require(blueprint))) throw new ForbiddenError(`you may not write entities of "${blueprint}"${p.role === 'viewer' ? ': that needs a role above viewer' : ''}; nothing was read or written`);
        return;
      }
      const model = models.current();
      // With no blueprint yet, only a viewer is sure to be refused; the catalog answers the rest.
      if (model.size === 0 ? p.role === 'viewer' : ![...model.values()].some(writable)) {
        throw new ForbiddenError(`you may not write entities of any blueprint${p.role === 'viewer' ? ': that needs a role above viewer' : ''}; nothing was read or written`);
      }
    },

    async redactSnapshots(p, snapshots) {
      const scope = readScope(p, models.current(), options);
      if (scope.unrestricted || snapshots.length === 0) return snapshots;
      const model = models.current();
      const all = new Set(scope.all);
      const shaped = (s: unknown): s is { blueprint: string; relations: Record<string, unknown> } =>
        isObject(s) && typeof s.blueprint === 'string' && isObject(s.relations);
      const lookups: TargetRef[] = [];
      for (const s of snapshots) {
        if (!shaped(s)) continue;
        const bp = model.get(s.blueprint);
        if (!bp) continue;
        for (const [name, value] of Object.entries(s.relations)) {
          for (const r of refsOf(bp, name, value)) if (!all.has(r.blueprint) && r.blueprint in scope.owned) lookups.push(r);
        }
      }
      const seen = await visible(scope, lookups);
      return snapshots.map((s) => {
        if (!shaped(s)) return s;
        const bp = model.get(s.blueprint);
        const relations: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(s.relations)) {
          const def = bp?.relations?.[name];
          // A relation the blueprint no longer has: its targets cannot be checked, so it goes.
          if (!bp || !def) continue;
          const poly = targetsOf(def).length > 1;
          const kept = refsOf(bp, name, value)
            .filter((r) => all.has(r.blueprint) || seen.has(key(r)))
            .map((r) => (poly ? `${r.blueprint}:${r.identifier}` : r.identifier));
          relations[name] = Array.isArray(value) ? kept : (kept[0] ?? null);
        }
        return { ...s, relations };
      });
    },

    async readableRefs(p, refs) {
      const scope = readScope(p, models.current(), options);
      if (scope.unrestricted || refs.length === 0) return refs;
      const all = new Set(scope.all);
      const seen = await visible(
        scope,
        refs.filter((r) => !all.has(r.blueprint) && r.blueprint in scope.owned).map((r) => ({ blueprint: r.blueprint, identifier: r.identifier })),
      );
      return refs.filter((r) => all.has(r.blueprint) || seen.has(key(r)));
    },

    async checkUpsert(p, records, upsertOptions = {}) {
      let model = models.current();
      const named = records.map((r) => (isObject(r) ? { blueprint: r.blueprint ?? upsertOptions.defaultBlueprint, identifier: r.identifier } : null));
      // A blueprint another replica created a moment ago must be checked, not skipped.
      if (named.some((n) => typeof n?.blueprint === 'string' && !model.has(n.blueprint)) && (await models.refresh())) model = models.current();
      const items: { ref: TargetRef; index: number; declared: TargetRef[] }[] = [];
      records.forEach((r, index) => {
        const n = named[index];
        if (!n || typeof n.blueprint !== 'string' || typeof n.identifier !== 'string') return;
        const bp = model.get(n.blueprint);
        if (!bp) return;
        const owner = ownerRelationOf(bp, options.ownerRelation);
        const relations = (r as Record<string, unknown>).relations;
        const declared = owner && isObject(relations) ? refsOf(bp, owner, relations[owner]) : [];
        items.push({ ref: { blueprint: n.blueprint, identifier: n.identifier }, index, declared });
      });
      assertCanWrite(p, await targetsFor(p, items, false), model, options);
    },

    async checkDelete(p, refs) {
      const items = refs.map((ref, index) => ({ ref, index, declared: [] }));
      const targets = await targetsFor(p, items, true);
      assertCanWrite(p, targets, models.current(), options);
    },

    graphqlJwt(p) {
      const scope = readScope(p, models.current(), options);
      // Blueprints readable in full: one flag each (`readsService: true`), what the rules test.
      const jwt: GraphqlJwt = { sub: p.id, owning: Object.keys(scope.owned), teams: scope.teams };
      for (const bp of scope.all) jwt[readsClaimOf(bp)] = true;
      return jwt;
    },
  };
}
