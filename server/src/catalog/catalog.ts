/**
 * The catalog module, the one write path: a composition of the parts, one job each, read in
 * this order:
 * - upsert-entities.ts: check a request, write it a slice at a time, answer what it did
 * - plan-batch.ts: lock a slice's entities and plan each record (created, updated, unchanged)
 * - write-batch.ts: one slice's writes and audit records in one transaction, its change events
 * - delete-entities.ts: deletions, audited, with their events
 * - entity-reads.ts: entities in the API's form
 * - provenance.ts: which sources wrote an entity
 * - write-transactions.ts: how their queries reach Neo4j
 */
import type { Db } from '../db/driver.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { Model, StoredEntity } from '@plexus/contract';
import { createEntityDeletions } from './delete-entities.ts';
import type { DryRunChange } from './dry-run.ts';
import type { TargetRef } from './entity-codec.ts';
import { createEntityReads } from './entity-reads.ts';
import type { WriteContext } from '@plexus/contract';
import type { EventBus } from './events.ts';
import { createProvenance } from './provenance.ts';
import { createUpsert } from './upsert-entities.ts';

/** Outcome of an upsert: counts plus one status per record, in request order. */
export interface UpsertResult {
  upserted: number;
  created: number;
  updated: number;
  unchanged: number;
  results: { blueprint: string; identifier: string; status: 'created' | 'updated' | 'unchanged' }[];
  /** With `dryRun`: what the write would do to each entity, in request order (nothing was written). */
  changes?: DryRunChange[];
}

/**
 * Options of an upsert. `dryRun` runs the whole write (checks, locks, plan, every query) in
 * transactions that are rolled back instead of committed: nothing is stored, no audit record, no
 * event. `model` (dry runs only) checks against a model that is not stored yet (the blueprints an
 * apply would save first).
 */
export interface UpsertOptions {
  merge?: boolean;
  defaultBlueprint?: string;
  dryRun?: boolean;
  model?: Model;
}

/** The one write path: every write to entities goes through these functions. */
export interface Catalog {
  upsertEntities(records: unknown[], ctx: WriteContext, options?: UpsertOptions): Promise<UpsertResult>;
  deleteEntities(refs: TargetRef[], ctx: WriteContext): Promise<{ deleted: number; notFound: TargetRef[] }>;
  /** Deletes every entity of a blueprint in batches (blueprint deletion with force). */
  deleteAllOf(blueprint: string, ctx: WriteContext): Promise<number>;
  getEntity(blueprint: string, identifier: string): Promise<StoredEntity>;
  getEntities(blueprint: string, identifiers: string[]): Promise<StoredEntity[]>;
  listEntities(blueprint: string, options?: { limit?: number; cursor?: string | null }): Promise<{ entities: StoredEntity[]; next: string | null }>;
  /**
   * Provenance of entities: `blueprint:identifier` → the sources that wrote it. Entities that do not
   * exist are absent. One light query (no properties), for connectors' reconciliation.
   */
  readSources(refs: TargetRef[]): Promise<Map<string, string[]>>;
  /**
   * Takes `source` out of the provenance of entities (and their outgoing relationships) whose
   * content no longer holds anything from it. Writes no content, emits no change event.
   */
  forgetSource(refs: TargetRef[], source: string): Promise<number>;
  /**
   * Adds `ctx.source` to the provenance of entities whose content already matched what that
   * source reports (the hash skip wrote nothing, so nothing stamped it). No content, no event.
   */
  addSource(refs: TargetRef[], ctx: WriteContext): Promise<number>;
}

/** Creates the catalog module. `batchSize` bounds the rows of one UNWIND transaction. */
export function createCatalog(deps: { db: Db; models: BlueprintStore; events: EventBus; logger: Logger; batchSize?: number }): Catalog {
  const { db, models, events, logger } = deps;
  const batchSize = deps.batchSize ?? 5000;
  const reads = createEntityReads({ db, models, logger });
  return {
    upsertEntities: createUpsert({ db, models, events, logger, batchSize }),
    ...createEntityDeletions({ db, models, events, reads, batchSize }),
    ...reads,
    ...createProvenance({ db, batchSize }),
  };
}
