/**
 * Deleting entities: the entities as they were are read first (they are the change events'
 * `before`), then deleted with their relationships, each deletion audited in the same
 * transaction, and `entity.deleted` events emitted. A blueprint's entities go a batch at a time.
 */
import neo4j from 'neo4j-driver';
import { auditRows, recordEventsQuery } from '../audit/audit.ts';
import { type Db, readRows } from '../db/driver.ts';
import { cypherName, loadQuery } from '../db/query-loader.ts';
import { NotFoundError } from '../errors.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { labelOf } from '@plexus/contract';
import type { Catalog } from './catalog.ts';
import type { TargetRef } from './entity-codec.ts';
import type { EntityReads } from './entity-reads.ts';
import type { EntityChangeEvent } from '@plexus/contract';
import type { EventBus } from './events.ts';
import { chunks, withWrites } from './write-transactions.ts';

/** The catalog's deletions. */
export type EntityDeletions = Pick<Catalog, 'deleteEntities' | 'deleteAllOf'>;

/** Creates the deletions; `reads` gives the entities' state before. */
export function createEntityDeletions(deps: {
  db: Db;
  models: BlueprintStore;
  events: EventBus;
  reads: Pick<EntityReads, 'getEntities'>;
  batchSize: number;
}): EntityDeletions {
  const { db, models, events, reads, batchSize } = deps;

  const deleteEntities: Catalog['deleteEntities'] = async (refs, ctx) => {
    const model = models.current();
    const byBlueprint = new Map<string, string[]>();
    for (const r of refs) {
      if (!model.has(r.blueprint)) throw new NotFoundError(`blueprint "${r.blueprint}" does not exist`);
      byBlueprint.set(r.blueprint, [...(byBlueprint.get(r.blueprint) ?? []), r.identifier]);
    }
    const evts: EntityChangeEvent[] = [];
    const notFound: TargetRef[] = [];
    const now = new Date().toISOString();
    let deleted = 0;
    for (const [blueprint, identifiers] of byBlueprint) {
      const before = await reads.getEntities(blueprint, identifiers);
      const found = new Set(before.map((e) => e.identifier));
      for (const id of identifiers) if (!found.has(id)) notFound.push({ blueprint, identifier: id });
      const mine: EntityChangeEvent[] = before.map((e) => ({
        type: 'entity.deleted',
        blueprint,
        identifier: e.identifier,
        before: e,
        after: null,
        actor: ctx.actor,
        source: ctx.source,
        runId: ctx.runId,
        at: now,
      }));
      await withWrites(deps, before.length, async (run) => {
        for (const ids of chunks([...found], batchSize)) {
          const [row] = await run(loadQuery('catalog/delete-entities'), { identifiers: ids, blueprint });
          deleted += row.deleted as number;
        }
        for (const rows of chunks(auditRows(mine), batchSize)) await run(recordEventsQuery(), { events: rows });
      });
      evts.push(...mine);
    }
    events.emit(evts);
    return { deleted, notFound };
  };

  return {
    deleteEntities,

    async deleteAllOf(blueprint, ctx) {
      let total = 0;
      for (;;) {
        const page = await readRows<{ id: string }>(db, loadQuery('catalog/list-identifiers', { label: cypherName(labelOf(blueprint)) }), {
          limit: neo4j.int(batchSize),
        });
        if (page.length === 0) return total;
        const { deleted } = await deleteEntities(page.map((r) => ({ blueprint, identifier: r.id })), ctx);
        total += deleted;
      }
    },
  };
}
