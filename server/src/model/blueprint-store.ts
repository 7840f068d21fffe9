import Cypher from '@neo4j/cypher-builder';
import {
  type Blueprint,
  type BlueprintChangeEvent,
  labelOf,
  type Model,
  targetsOf,
  type WriteContext,
} from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import { writeAudited } from '../audit/audit.ts';
import type { EventBus } from '../catalog/events.ts';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import { renderExpression } from '../db/render-cypher.ts';
import { ConflictError, type ErrorDetail, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { checkUserCypher, describeUnknownName } from './check-cypher-against-model.ts';
import { type BlueprintMigration, planBlueprintChange } from './migrate-blueprint.ts';
import { validateBlueprint } from './validate-blueprint.ts';

/** What a blueprint change did to the data, returned to the caller. */
export interface SaveResult {
  blueprints: Blueprint[];
  created: string[];
  updated: string[];
  migrations: BlueprintMigration[];
  /**
   * The change events of the save, already recorded in the audit trail in the save's transaction
   * (for the caller to publish); a blueprint saved unchanged has none. Empty for dry runs.
   */
  events: BlueprintChangeEvent[];
  /** Dry runs: the model as it would be once saved (nothing was written). */
  model?: Model;
}

/** Emitted after the stored model changed (by this replica or, seen by polling, another one). */
export type ModelListener = (model: Model, version: number) => void;

/** Reads, validates and writes blueprints; keeps the current model in memory for this replica. */
export interface BlueprintStore {
  /** The model as last loaded. */
  current(): Model;
  version(): number;
  /**
   * When each blueprint of `current()` was last saved (same load): `<model version>@<updatedAt>`.
   * A catalog write re-checks its records only when a blueprint they depend on was saved since.
   */
  savedStamps(): ReadonlyMap<string, string>;
  get(identifier: string): Blueprint | undefined;
  /** Blueprint or 404 with a helpful message. */
  require(identifier: string): Blueprint;
  /** Reloads when the stored model version moved (another replica changed it). */
  refresh(): Promise<boolean>;
  /**
   * Creates or replaces several blueprints at once, validated together, and audits them in the
   * same transaction: `ctx` says who (`actor`, stamped on them), from where, and the `plexus apply`
   * set recorded on them (`applySet`).
   */
  save(
    blueprints: unknown[],
    options: { ctx: WriteContext; mode: 'create' | 'replace' | 'upsert'; force?: boolean; dryRun?: boolean },
  ): Promise<SaveResult>;
  /**
   * Removes an empty blueprint (the caller deletes its entities first, through the catalog),
   * audited in the same transaction; returns its change event for the caller to publish.
   */
  delete(identifier: string, options: { ctx: WriteContext; force?: boolean; dryRun?: boolean }): Promise<BlueprintChangeEvent[]>;
  countEntities(identifier: string): Promise<number>;
  onChange(listener: ModelListener): () => void;
}

const metaKeys = ['createdAt', 'updatedAt', 'createdBy', 'updatedBy', 'applySet'] as const;

function normalise(input: Blueprint): Blueprint {
  const out: Blueprint = {
    identifier: input.identifier,
    title: input.title ?? input.identifier,
    schema: { properties: input.schema.properties, required: input.schema.required ?? [] },
    relations: {},
  };
  if (input.description !== undefined) out.description = input.description;
  if (input.icon !== undefined) out.icon = input.icon;
  if (input.calculated !== undefined) out.calculated = input.calculated;
  if (input.permissions !== undefined) out.permissions = input.permissions;
  for (const [name, rel] of Object.entries(input.relations ?? {})) {
    out.relations![name] = { ...rel, many: rel.many ?? false, required: rel.required ?? false };
  }
  return out;
}

/**
 * A calculated expression bound to a variable of ours: `[e IN [n] | (expr)][0]`. The list
 * comprehension admits one expression only (no UNION, no clauses), and every place that
 * evaluates calculated properties uses this same form.
 */
export function calculatedExpression(variable: string, expression: string): string {
  return renderExpression(calculatedValue(new Cypher.NamedVariable(variable), expression));
}

/**
 * `calculatedExpression` as a cypher-builder expression over `variable`, for built queries
 * (search rules, catalog/calculated.ts). The expression is the blueprint's own Cypher, checked
 * read-only when the blueprint was saved: the one piece of raw text, bound to `e` as it was written for.
 */
export function calculatedValue(variable: Cypher.Variable, expression: string): Cypher.Expr {
  const e = new Cypher.NamedVariable('e');
  return Cypher.listIndex(new Cypher.ListComprehension(e).in(new Cypher.List([variable])).map(new Cypher.Raw(`(${expression})`)), 0);
}

/** The query a calculated expression is checked with before it is stored. */
export function calculatedProbe(expression: string): string {
  return `MATCH (n:Entity) WITH n LIMIT 1 RETURN ${calculatedExpression('n', expression)} AS value`;
}

/** A stored blueprint row as the model holds it: the definition with its bookkeeping fields. */
function fromRow(b: Record<string, string>): Blueprint {
  const bp = JSON.parse(b.definition) as Blueprint;
  for (const k of metaKeys) if (b[k]) bp[k] = b[k];
  return bp;
}

/** The stored blueprints named, read inside `tx`. */
async function storedIn(tx: ManagedTransaction, identifiers: string[]): Promise<Map<string, Blueprint>> {
  const rows = await txRows<{ blueprint: Record<string, string> }>(tx, loadQuery('model/get-blueprints'), { identifiers });
  return new Map(rows.map((r) => [r.blueprint.identifier, fromRow(r.blueprint)]));
}

/** A blueprint's definition without the fields every save bumps (`applySet` is part of it). */
function substance(bp: Blueprint | undefined): string {
  if (!bp) return 'null';
  const { createdAt, updatedAt, createdBy, updatedBy, ...rest } = bp;
  return JSON.stringify(rest);
}

/** The uniqueness constraint releases before migration 0015 created for each blueprint. */
function legacyConstraintName(identifier: string): string {
  return `plexus_bp_${identifier}_identifier`;
}

/**
 * Creates the store; call `refresh()` once before use. `events` gets the `entity.updated` events
 * of forced migrations (the process's event bus: scorecards, automations, subscribers).
 */
export function createBlueprintStore(db: Db, logger: Logger, options: { events?: EventBus } = {}): BlueprintStore {
  let model: Map<string, Blueprint> = new Map();
  let version = -1;
  let savedStamps: ReadonlyMap<string, string> = new Map();
  const listeners = new Set<ModelListener>();

  type StoredModel = { version: number; blueprints: Record<string, string>[] };

  async function load(): Promise<void> {
    const [row] = await readRows<StoredModel>(db, loadQuery('model/list-blueprints'));
    install(row);
  }

  /** Makes a model read by list-blueprints.cypher the current one and tells the listeners. */
  function install(row: StoredModel): void {
    const next = new Map<string, Blueprint>();
    const saved = new Map<string, string>();
    for (const b of row.blueprints) {
      const bp = fromRow(b);
      next.set(bp.identifier, bp);
      saved.set(bp.identifier, b.saved);
    }
    model = next;
    savedStamps = saved;
    version = row.version;
    for (const l of listeners) {
      try {
        l(model, version);
      } catch (err) {
        logger.error('model listener failed', { err });
      }
    }
  }

  const store: BlueprintStore = {
    current: () => model,
    version: () => version,
    savedStamps: () => savedStamps,
    get: (id) => model.get(id),
    require(id) {
      const bp = model.get(id);
      if (!bp) throw new NotFoundError(`blueprint "${id}" does not exist; GET /api/v1/blueprints lists them`);
      return bp;
    },
    async refresh() {
      const [row] = await readRows<{ version: number }>(db, loadQuery('model/model-version'));
      const stored = row?.version ?? 0;
      if (stored === version) return false;
      await load();
      return true;
    },
    async save(inputs, { ctx, mode, force = false, dryRun = false }) {
      const { actor, applySet } = ctx;
      await store.refresh();
      const details: ErrorDetail[] = [];
      const next = new Map(model);
      const seen = new Set<string>();
      inputs.forEach((input, index) => {
        const id = (input as Blueprint)?.identifier;
        if (typeof id === 'string') {
          if (seen.has(id)) details.push({ index, identifier: id, message: `blueprint "${id}" appears twice in the request` });
          seen.add(id);
          const exists = model.has(id);
          if (mode === 'create' && exists) {
            throw new ConflictError(`blueprint "${id}" already exists; use PUT /api/v1/blueprints/${id} to change it`);
          }
          if (mode === 'replace' && !exists) throw new NotFoundError(`blueprint "${id}" does not exist; POST it first`);
          const candidate = input as Blueprint;
          if (candidate && typeof candidate === 'object' && candidate.schema && typeof candidate.schema === 'object') {
            next.set(id, normalise(candidate));
          } else next.set(id, candidate);
        }
      });
      inputs.forEach((input, index) => {
        for (const d of validateBlueprint(input, next)) {
          details.push({ index, identifier: (input as Blueprint)?.identifier, ...d });
        }
      });
      if (details.length > 0) {
        throw new ValidationError(
          inputs.length === 1 ? 'the blueprint is not valid' : `${new Set(details.map((d) => d.index)).size} of ${inputs.length} blueprints are not valid`,
          details,
        );
      }
      const saved = inputs.map((i) => next.get((i as Blueprint).identifier)!);
      // Calculated properties are user Cypher: accepted only if Neo4j plans them read-only.
      for (const [index, bp] of saved.entries()) {
        for (const [name, calc] of Object.entries(bp.calculated ?? {})) {
          const path = `/calculated/${name}/cypher`;
          const checked = await checkUserCypher(db, next, calculatedProbe(calc.cypher), { text: calc.cypher, entity: bp.identifier, allowUnknown: calc.allowUnknown === true });
          for (const message of checked.problems) details.push({ index, identifier: bp.identifier, path, message });
          for (const u of checked.unknown) details.push({ index, identifier: bp.identifier, path, message: `calculated property "${name}": ${describeUnknownName(u)}`, unknown: u });
        }
      }
      if (details.length > 0) throw new ValidationError('a calculated property is not an acceptable read-only expression over the model', details);
      // Destructive changes: measure first; refuse without force; apply with force.
      const migrations: BlueprintMigration[] = [];
      for (const bp of saved) {
        const before = model.get(bp.identifier);
        if (!before) continue;
        const plan = await planBlueprintChange(db, before, bp);
        if (plan.changes.some((c) => c.affected > 0) && !force) {
          throw new ConflictError(
            `changing blueprint "${bp.identifier}" would drop or invalidate data of existing entities; repeat with ?force=true to apply it`,
            plan.changes
              .filter((c) => c.affected > 0)
              .map((c) => ({ identifier: bp.identifier, path: c.path, message: c.message, affected: c.affected })),
          );
        }
        migrations.push(plan);
      }
      if (dryRun) {
        // Everything a save checks has been checked; a dry run stops before the first write.
        const withMeta = (bp: Blueprint): Blueprint => {
          const before = model.get(bp.identifier);
          const out: Blueprint = { ...bp };
          for (const k of metaKeys) if (before?.[k] !== undefined) out[k] = before[k];
          if (applySet) out.applySet = applySet;
          else delete out.applySet;
          return out;
        };
        return {
          blueprints: saved.map(withMeta),
          created: saved.filter((b) => !model.has(b.identifier)).map((b) => b.identifier),
          updated: saved.filter((b) => model.has(b.identifier)).map((b) => b.identifier),
          migrations: migrations.filter((m) => m.changes.length > 0),
          events: [],
          model: next,
        };
      }
      // The definitions and their audit records commit together. A new blueprint needs no schema
      // change: its entities are kept unique by the one constraint on (:Entity) (_blueprint,
      // identifier) of migration 0015 (a schema change clears Neo4j's plan cache, which replanned
      // every query under load: docs/reliability.md).
      const identifiers = saved.map((bp) => bp.identifier);
      let stored: StoredModel | undefined;
      const events = await writeAudited(db, async (tx) => {
        const now = new Date().toISOString();
        // Read, write and read the whole model again in one round trip: the transaction runs them
        // in order. The save holds the model version's lock until the commit, so no other save
        // commits in between: the model read here is the one committed, installed below without
        // another read.
        const [before, , read] = await Promise.all([
          storedIn(tx, identifiers),
          tx.run(loadQuery('model/save-blueprints'), {
            rows: saved.map((bp) => ({ identifier: bp.identifier, definition: JSON.stringify(bp) })),
            now,
            actor,
            applySet: applySet ?? null,
          }),
          txRows<StoredModel>(tx, loadQuery('model/list-blueprints')),
        ]);
        stored = read[0];
        const after = new Map(
          stored.blueprints.filter((b) => identifiers.includes(b.identifier)).map((b) => [b.identifier, fromRow(b)]),
        );
        const changes: BlueprintChangeEvent[] = identifiers
          .filter((id) => substance(before.get(id)) !== substance(after.get(id)))
          .map((id) => ({
            type: before.has(id) ? ('blueprint.updated' as const) : ('blueprint.created' as const),
            blueprint: id,
            before: before.get(id) ?? null,
            after: after.get(id) ?? null,
            actor,
            source: ctx.source,
            at: now,
          }));
        return { result: changes, events: changes };
      });
      // The destructive part runs once the new model is stored: its version changed with it, so a
      // write checked against the old model and not yet committed rolls back and is checked again
      // (catalog/write-batch.ts), and the values removed here cannot come back from such a write. It is an
      // entity write like the catalog's: locked, audited in its transaction, with change events.
      for (const plan of migrations) {
        const { entities } = await plan.apply({ actor, source: 'migration' }, options.events);
        if (entities > 0) logger.info('blueprint migration applied', { blueprint: plan.blueprint, entities, actor });
      }
      const created = saved.filter((b) => !model.has(b.identifier)).map((b) => b.identifier);
      const updated = saved.filter((b) => model.has(b.identifier)).map((b) => b.identifier);
      // Unless the poll already installed it, or a later save by another replica (made during a
      // long migration above), which stays: versions only grow.
      if (stored!.version > version) install(stored!);
      logger.info('blueprints saved', { created, updated, actor });
      return {
        blueprints: saved.map((b) => model.get(b.identifier)!),
        created,
        updated,
        migrations: migrations.filter((m) => m.changes.length > 0),
        events,
      };
    },
    async delete(identifier, { ctx, force = false, dryRun = false }) {
      await store.refresh();
      store.require(identifier);
      const users: ErrorDetail[] = [];
      for (const other of model.values()) {
        if (other.identifier === identifier) continue;
        for (const [name, rel] of Object.entries(other.relations ?? {})) {
          if (targetsOf(rel).includes(identifier)) {
            users.push({ identifier: other.identifier, path: `/relations/${name}`, message: `${other.identifier}.${name} targets "${identifier}"` });
          }
        }
      }
      if (users.length > 0) {
        throw new ConflictError(`blueprint "${identifier}" is the target of other blueprints' relations; remove those relations first`, users);
      }
      const count = await store.countEntities(identifier);
      if (count > 0 && !force) {
        throw new ConflictError(`blueprint "${identifier}" still has ${count} entities; repeat with ?force=true to delete them too`, [
          { identifier, message: `${count} entities`, affected: count },
        ]);
      }
      if (dryRun) return [];
      // With force, the caller has already deleted the entities through the catalog (one write path).
      if (count > 0) throw new ConflictError(`blueprint "${identifier}" still has ${count} entities`);
      const events = await writeAudited(db, async (tx) => {
        const before = (await storedIn(tx, [identifier])).get(identifier);
        if (!before) throw new NotFoundError(`blueprint "${identifier}" does not exist; GET /api/v1/blueprints lists them`);
        await tx.run(loadQuery('model/delete-blueprint'), { identifier });
        const deleted: BlueprintChangeEvent[] = [
          { type: 'blueprint.deleted', blueprint: identifier, before, after: null, actor: ctx.actor, source: ctx.source, at: new Date().toISOString() },
        ];
        return { result: deleted, events: deleted };
      });
      // A blueprint saved by a release before migration 0015 has a constraint of its own.
      await writeRows(db, loadQuery('model/drop-constraint', { constraint: cypherName(legacyConstraintName(identifier)) }));
      await load();
      logger.info('blueprint deleted', { identifier, actor: ctx.actor });
      return events;
    },
    async countEntities(identifier) {
      const [row] = await readRows<{ count: number }>(db, loadQuery('model/count-entities', { label: cypherName(labelOf(identifier)) }));
      return row.count;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
