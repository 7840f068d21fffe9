import {
  type Blueprint,
  type EntityChangeEvent,
  labelOf,
  type PropertySchema,
  relTypeOf,
  targetsOf,
  type WriteContext,
} from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import { auditRows, recordEventsQuery } from '../audit/audit.ts';
import { decodeEntity, hashEntity, searchText, toApiEntity } from '../catalog/entity-codec.ts';
import type { EventBus } from '../catalog/events.ts';
import { type Db, openSession, readRows } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import { compilePropertySchema } from './entity-schema.ts';

/** One change to a blueprint that can touch stored data, with how many entities it touches. */
export interface BlueprintChange {
  kind: 'propertyRemoved' | 'propertyChanged' | 'relationRemoved' | 'relationTargetRemoved';
  path: string;
  message: string;
  affected: number;
}

/** What applying a migration changed. */
export interface MigrationOutcome {
  /** Entities changed (one `entity.updated` event and one audit record each). */
  entities: number;
}

/** The measured destructive part of a blueprint change; `apply()` carries it out (force). */
export interface BlueprintMigration {
  blueprint: string;
  changes: BlueprintChange[];
  /**
   * Applies the changes once the new model is stored, as entity writes: per slice of entities one
   * transaction that locks them, removes what the new model no longer allows, and records an
   * audit record per entity (before/after); `entity.updated` events go to `events` after each
   * commit. Candidates are measured again at apply time, so values written between the plan
   * and the save (by a writer still on the old model) are removed too.
   */
  apply(ctx: WriteContext, events?: EventBus | null): Promise<MigrationOutcome>;
}

/** Entities per migration transaction. */
const sliceSize = 1000;

function fromStored(schemaType: string, value: unknown): unknown {
  if (schemaType === 'object' && typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** A property whose stored values may have to go: removed, or changed (values failing the new schema). */
interface PropertyStep {
  name: string;
  newSchema: PropertySchema | undefined;
}

/** A relation whose relationships (to targets outside `keepTargets`; all when null) have to go. */
interface RelationStep {
  type: string;
  keepTargets: string[] | null;
}

/**
 * Compares two versions of a blueprint and counts the entities each destructive change would
 * touch: removed properties, properties whose stored values fail the new schema, removed
 * relations and removed relation targets. Additive changes are not listed: they are instant.
 */
export async function planBlueprintChange(
  db: Db,
  before: Blueprint,
  after: Blueprint,
): Promise<BlueprintMigration> {
  const label = cypherName(labelOf(after.identifier));
  const changes: BlueprintChange[] = [];
  const properties: PropertyStep[] = [];
  const relations: RelationStep[] = [];
  const checks = new Map<string, (value: unknown) => boolean>();
  /** False when the stored value of `name` is not allowed by the new model. */
  const allowed = (step: PropertyStep, value: unknown): boolean => {
    if (!step.newSchema) return false;
    let check = checks.get(step.name);
    if (!check) {
      check = compilePropertySchema(step.newSchema);
      checks.set(step.name, check);
    }
    return check(fromStored(step.newSchema.type, value));
  };
  /** Identifiers of entities holding a value of the property the new model rejects. */
  const propertyCandidates = async (step: PropertyStep): Promise<string[]> => {
    const rows = await readRows<{ identifier: string; value: unknown }>(
      db,
      loadQuery('model/property-values', { label }),
      {
        property: step.name,
      },
    );
    return rows.filter((r) => !allowed(step, r.value)).map((r) => r.identifier);
  };
  const relationCandidates = async (step: RelationStep): Promise<string[]> => {
    const rows = await readRows<{ identifier: string }>(
      db,
      loadQuery('model/relationship-sources', { label, type: cypherName(step.type) }),
      {
        keepTargets: step.keepTargets,
      },
    );
    return rows.map((r) => r.identifier);
  };

  for (const [name, oldSchema] of Object.entries(before.schema.properties)) {
    const newSchema = after.schema.properties[name];
    if (newSchema && JSON.stringify(newSchema) === JSON.stringify(oldSchema)) continue;
    const step: PropertyStep = { name, newSchema };
    const bad = await propertyCandidates(step);
    changes.push({
      kind: newSchema ? 'propertyChanged' : 'propertyRemoved',
      path: `/schema/properties/${name}`,
      message: newSchema
        ? `${bad.length} entities hold a value of "${name}" that the new schema rejects; with force those values are removed`
        : `${bad.length} entities hold property "${name}"; with force it is removed from them`,
      affected: bad.length,
    });
    // Applied even when nothing is affected now: a writer on the old model may add some before
    // the new model is stored (apply measures again).
    properties.push(step);
  }
  for (const [name, oldRel] of Object.entries(before.relations ?? {})) {
    const newRel = after.relations?.[name];
    let keepTargets: string[] | null = null;
    if (newRel) {
      const removed = targetsOf(oldRel).filter((t) => !targetsOf(newRel).includes(t));
      if (removed.length === 0) continue;
      keepTargets = targetsOf(newRel);
    }
    const step: RelationStep = { type: relTypeOf(name), keepTargets };
    const [row] = await readRows<{ count: number }>(
      db,
      loadQuery('model/count-relationships', { label, type: cypherName(step.type) }),
      { keepTargets },
    );
    changes.push({
      kind: newRel ? 'relationTargetRemoved' : 'relationRemoved',
      path: `/relations/${name}`,
      message: newRel
        ? `${row.count} "${name}" relationships point at blueprints no longer among its targets; with force they are deleted`
        : `${row.count} "${name}" relationships exist; with force they are deleted`,
      affected: row.count,
    });
    relations.push(step);
  }

  /**
   * One slice in one transaction: lock and read the entities, decide under the lock what goes,
   * write it, and record the audit records last (the audit sequence lock is held until commit).
   */
  async function migrateSlice(identifiers: string[], ctx: WriteContext): Promise<EntityChangeEvent[]> {
    const session = openSession(db, 'WRITE');
    try {
      return await session.executeWrite(async (tx: ManagedTransaction) => {
        const run = (q: string, p: Record<string, unknown>) =>
          tx.run(q, p).then((res) => res.records.map((r) => r.toObject()));
        const locked = (await run(loadQuery('model/lock-migrated-entities'), { identifiers, blueprint: after.identifier })) as {
          identifier: string;
          updatedAt: string | null;
          props: Record<string, unknown>;
          rels: [string, string, string][];
        }[];
        let latest = Date.now();
        for (const s of locked) if (s.updatedAt) latest = Math.max(latest, Date.parse(s.updatedAt) + 1);
        const now = new Date(latest).toISOString();
        const nodes: {
          identifier: string;
          nulls: Record<string, null>;
          text: string | null;
          hash: string;
        }[] = [];
        const dropRels = new Map<RelationStep, string[]>();
        const events: EntityChangeEvent[] = [];
        for (const s of locked) {
          const nulls: Record<string, null> = {};
          for (const step of properties) {
            const value = s.props[step.name];
            if (value !== null && value !== undefined && !allowed(step, value)) nulls[step.name] = null;
          }
          const dropped = (rel: [string, string, string]) =>
            relations.find(
              (step) =>
                step.type === rel[0] && (step.keepTargets === null || !step.keepTargets.includes(rel[1])),
            );
          const gone = s.rels.filter((rel) => dropped(rel));
          if (Object.keys(nulls).length === 0 && gone.length === 0) continue;
          for (const rel of gone) {
            const step = dropped(rel)!;
            const ids = dropRels.get(step) ?? [];
            if (ids.at(-1) !== s.identifier) ids.push(s.identifier);
            dropRels.set(step, ids);
          }
          const props = Object.fromEntries(Object.entries(s.props).filter(([k]) => !(k in nulls)));
          const rels = s.rels.filter((rel) => !gone.includes(rel));
          const next = decodeEntity(after, props, rels);
          nodes.push({
            identifier: s.identifier,
            nulls,
            text: searchText(after, next),
            hash: hashEntity(next),
          });
          events.push({
            type: 'entity.updated',
            blueprint: after.identifier,
            identifier: s.identifier,
            before: toApiEntity(before, decodeEntity(before, s.props, s.rels), s.props),
            after: toApiEntity(after, next, { ...props, _updatedAt: now, _updatedBy: ctx.actor }),
            actor: ctx.actor,
            source: ctx.source,
            runId: ctx.runId,
            at: now,
          });
        }
        if (events.length === 0) return [];
        const sent: Promise<unknown>[] = [
          run(loadQuery('model/migrate-entity-nodes'), { rows: nodes, blueprint: after.identifier, now, actor: ctx.actor }),
        ];
        for (const [step, ids] of dropRels) {
          sent.push(
            run(loadQuery('model/migrate-entity-relationships', { type: cypherName(step.type) }), {
              identifiers: ids,
              blueprint: after.identifier,
              keepTargets: step.keepTargets,
            }),
          );
        }
        sent.push(run(recordEventsQuery(), { events: auditRows(events) }));
        await Promise.all(sent);
        return events;
      });
    } finally {
      await session.close();
    }
  }

  return {
    blueprint: after.identifier,
    changes,
    async apply(ctx, events) {
      if (properties.length === 0 && relations.length === 0) return { entities: 0 };
      const candidates = new Set<string>();
      for (const step of properties) for (const id of await propertyCandidates(step)) candidates.add(id);
      for (const step of relations) for (const id of await relationCandidates(step)) candidates.add(id);
      // The catalog's lock order: by identifier within a blueprint.
      const sorted = [...candidates].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      let changed = 0;
      for (let i = 0; i < sorted.length; i += sliceSize) {
        const written = await migrateSlice(sorted.slice(i, i + sliceSize), ctx);
        changed += written.length;
        if (written.length > 0) events?.emit(written);
      }
      return { entities: changed };
    },
  };
}
