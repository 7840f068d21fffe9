import type { Model, WriteContext } from '@plexus/contract';
import { adminChange, writeAudited } from '../audit/audit.ts';
import { type Db, openSession, readRows, txRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError, ConflictError, type ErrorDetail, NotFoundError, ValidationError } from '../errors.ts';
import { checkUserCypher, describeUnknownName } from '../model/check-cypher-against-model.ts';

/** A named, parameterised query analysts share: Cypher (read-only) or GraphQL. */
export interface SavedQuery {
  identifier: string;
  title: string;
  description?: string | null;
  language: 'cypher' | 'graphql';
  query: string;
  /** Cypher only: accept labels, relationship types and properties the model does not have (yet). */
  allowUnknown?: boolean;
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** Stores, checks and runs saved queries. Each change is audited in its own transaction. */
export interface SavedQueries {
  list(): Promise<SavedQuery[]>;
  get(identifier: string): Promise<SavedQuery>;
  /**
   * `checkGraphql` answers the problems of a GraphQL query against the served schema; `ctx.actor`
   * is recorded as the author. A save that changes nothing leaves no audit record.
   */
  save(input: unknown, options: { ctx: WriteContext; mode: 'create' | 'replace'; identifier?: string; checkGraphql: (query: string) => Promise<string[]> }): Promise<SavedQuery>;
  delete(identifier: string, ctx: WriteContext): Promise<void>;
  /** Runs a Cypher query in a READ transaction with a timeout and a row cap. */
  runCypher(q: SavedQuery, params: Record<string, unknown>): Promise<{ columns: string[]; rows: Record<string, unknown>[]; truncated: boolean }>;
}

const idPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Creates the saved-query store. `model` gives the current blueprints: a Cypher query naming a
 * label, relationship type or property they lack is refused unless it says `allowUnknown: true`.
 */
export function createSavedQueries(db: Db, options: { timeoutMs?: number; maxRows?: number; model?: () => Model } = {}): SavedQueries {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRows = options.maxRows ?? 10_000;
  const store: SavedQueries = {
    async list() {
      return (await readRows<{ query: SavedQuery }>(db, loadQuery('queries/list-queries'))).map((r) => r.query);
    },
    async get(identifier) {
      const [row] = await readRows<{ query: SavedQuery }>(db, loadQuery('queries/get-query'), { identifier });
      if (!row) throw new NotFoundError(`saved query "${identifier}" does not exist`);
      return row.query;
    },
    async save(input, { ctx, mode, identifier, checkGraphql }) {
      const q = (input ?? {}) as Partial<SavedQuery>;
      const id = identifier ?? q.identifier;
      const details: ErrorDetail[] = [];
      if (typeof id !== 'string' || !idPattern.test(id)) details.push({ path: '/identifier', message: 'identifier must be lower-case letters, digits and dashes' });
      if (q.language !== 'cypher' && q.language !== 'graphql') details.push({ path: '/language', message: 'language must be "cypher" or "graphql"' });
      if (typeof q.query !== 'string' || q.query.trim() === '' || q.query.length > 20_000) details.push({ path: '/query', message: 'query must be a non-empty string' });
      if (q.allowUnknown !== undefined && typeof q.allowUnknown !== 'boolean') details.push({ path: '/allowUnknown', message: 'allowUnknown must be true or false' });
      if (details.length === 0 && q.language === 'cypher') {
        const checked = await checkUserCypher(db, options.model?.() ?? new Map(), q.query!, { text: q.query!, allowUnknown: q.allowUnknown === true || !options.model });
        for (const message of checked.problems) details.push({ path: '/query', identifier: id, message });
        for (const u of checked.unknown) details.push({ path: '/query', identifier: id, message: `saved query "${id}": ${describeUnknownName(u)}`, unknown: u });
      }
      if (details.length === 0 && q.language === 'graphql') {
        for (const message of await checkGraphql(q.query!)) details.push({ path: '/query', message });
      }
      if (details.length > 0) throw new ValidationError('the saved query is not valid', details);
      return writeAudited(db, async (tx) => {
        const [current] = await txRows<{ query: SavedQuery }>(tx, loadQuery('queries/get-query'), { identifier: id });
        const before = current?.query ?? null;
        if (mode === 'create' && before) throw new ConflictError(`saved query "${id}" exists; PUT it to change it`);
        if (mode === 'replace' && !before) throw new NotFoundError(`saved query "${id}" does not exist`);
        const [row] = await txRows<{ query: SavedQuery }>(tx, loadQuery('queries/save-query'), {
          identifier: id,
          title: q.title ?? id,
          description: q.description ?? null,
          language: q.language,
          query: q.query,
          allowUnknown: q.language === 'cypher' && q.allowUnknown === true ? true : null,
          now: new Date().toISOString(),
          actor: ctx.actor,
        });
        return { result: row.query, events: adminChange('query', id!, ctx, before, row.query) };
      });
    },
    async delete(identifier, ctx) {
      await writeAudited(db, async (tx) => {
        const [current] = await txRows<{ query: SavedQuery }>(tx, loadQuery('queries/get-query'), { identifier });
        const [row] = await txRows<{ deleted: number }>(tx, loadQuery('queries/delete-query'), { identifier });
        if (!current || row.deleted === 0) throw new NotFoundError(`saved query "${identifier}" does not exist`);
        return { result: undefined, events: adminChange('query', identifier, ctx, current.query, null) };
      });
    },
    async runCypher(q, params) {
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new BadRequestError('params must be an object');
      const session = openSession(db, 'READ');
      try {
        const res = await session.executeRead(
          async (tx) => {
            const rows: Record<string, unknown>[] = [];
            let truncated = false;
            const result = tx.run(q.query, params);
            for await (const record of result) {
              if (rows.length >= maxRows) {
                truncated = true;
                break;
              }
              rows.push(record.toObject());
            }
            const keys = rows.length > 0 ? Object.keys(rows[0]) : ((await result.keys()) as string[]);
            return { columns: keys, rows, truncated };
          },
          { timeout: timeoutMs },
        );
        return res;
      } catch (err) {
        throw new BadRequestError(`the saved query failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await session.close();
      }
    },
  };
  return store;
}
