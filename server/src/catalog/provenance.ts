/**
 * Provenance: which sources wrote an entity (`_sources`), read and stamped without touching its
 * content and without change events, for connectors' reconciliation (a source's full resync
 * deletes only what that source owns).
 */
import { type Db, readRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import type { Catalog } from './catalog.ts';
import { refKey } from './entity-codec.ts';
import { chunks, withWrites } from './write-transactions.ts';

/** The catalog's provenance operations. */
export type Provenance = Pick<Catalog, 'readSources' | 'addSource' | 'forgetSource'>;

/** Creates the provenance operations; `batchSize` bounds the entities of one query. */
export function createProvenance(deps: { db: Db; batchSize: number }): Provenance {
  const { db, batchSize } = deps;
  return {
    async readSources(refs) {
      const out = new Map<string, string[]>();
      for (const chunk of chunks(refs, batchSize)) {
        const rows = await readRows<{ blueprint: string; identifier: string; sources: string[] }>(db, loadQuery('catalog/read-sources'), { refs: chunk });
        for (const r of rows) out.set(refKey(r), r.sources);
      }
      return out;
    },

    async addSource(refs, ctx) {
      let total = 0;
      for (const chunk of chunks(refs, batchSize)) {
        await withWrites(deps, chunk.length, async (run) => {
          const [row] = await run(loadQuery('catalog/add-source'), { refs: chunk, source: ctx.source, runId: ctx.runId ?? null });
          total += row.stamped as number;
        });
      }
      return total;
    },

    async forgetSource(refs, source) {
      let total = 0;
      for (const chunk of chunks(refs, batchSize)) {
        await withWrites(deps, chunk.length, async (run) => {
          const [row] = await run(loadQuery('catalog/forget-source'), { refs: chunk, source });
          total += row.forgotten as number;
        });
      }
      return total;
    },
  };
}
