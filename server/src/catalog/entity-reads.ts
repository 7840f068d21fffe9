/**
 * Reading entities in the API's form: one, several of a blueprint, or a page of a blueprint in
 * identifier order, each with its calculated properties (calculated.ts) when the blueprint has any.
 */
import neo4j from 'neo4j-driver';
import { type Db, readRows } from '../db/driver.ts';
import { checkLimit, cursorOf, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import type { Blueprint, StoredEntity } from '@plexus/contract';
import { readCalculated } from './calculated.ts';
import type { Catalog } from './catalog.ts';
import { decodeEntity, toApiEntity } from './entity-codec.ts';

/** The catalog's entity reads. */
export type EntityReads = Pick<Catalog, 'getEntity' | 'getEntities' | 'listEntities'>;

/** Creates the reads. */
export function createEntityReads(deps: { db: Db; models: BlueprintStore; logger: Logger }): EntityReads {
  const { db, models, logger } = deps;

  async function withCalculated(bp: Blueprint, entities: StoredEntity[]): Promise<StoredEntity[]> {
    if (!bp.calculated || Object.keys(bp.calculated).length === 0) return entities;
    const values = await readCalculated(db, bp, entities.map((e) => e.identifier), logger);
    return entities.map((e) => ({ ...e, calculated: values.get(e.identifier) ?? {} }));
  }

  async function getEntities(blueprint: string, identifiers: string[]): Promise<StoredEntity[]> {
    const bp = models.require(blueprint);
    const rows = await readRows<{ props: Record<string, unknown>; rels: [string, string, string][] }>(
      db,
      loadQuery('catalog/read-entities'),
      { identifiers, blueprint },
    );
    return withCalculated(bp, rows.map((r) => toApiEntity(bp, decodeEntity(bp, r.props, r.rels), r.props)));
  }

  return {
    async getEntity(blueprint, identifier) {
      const [e] = await getEntities(blueprint, [identifier]);
      if (!e) throw new NotFoundError(`entity "${identifier}" of blueprint "${blueprint}" does not exist`);
      return e;
    },

    getEntities,

    async listEntities(blueprint, options = {}) {
      const bp = models.require(blueprint);
      const limit = checkLimit(options.limit, 100);
      const after = options.cursor ? parseCursor(options.cursor) : '';
      const rows = await readRows<{ props: Record<string, unknown>; rels: [string, string, string][] }>(
        db,
        loadQuery('catalog/list-entities'),
        { blueprint, after, limit: neo4j.int(limit + 1) },
      );
      const page = await withCalculated(bp, rows.slice(0, limit).map((r) => toApiEntity(bp, decodeEntity(bp, r.props, r.rels), r.props)));
      const next = rows.length > limit ? cursorOf(page[page.length - 1].identifier) : null;
      return { entities: page, next };
    },
  };
}
