/**
 * How the catalog's writes reach Neo4j: `Run` sends one query and resolves with its rows; a
 * small write is one transaction, a large one gives each query its own; rows go in chunks of a
 * batch. Shared by the write batch, deletions and provenance.
 */
import type { ManagedTransaction } from 'neo4j-driver';
import { type Db, openSession } from '../db/driver.ts';

/** Sends one query; resolves with its records as plain objects. */
export type Run = (query: string, params: Record<string, unknown>) => Promise<Record<string, unknown>[]>;

/** `items` in slices of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `work` in one transaction when it is small, else gives each query its own. `run` sends
 * its query at once and resolves with the records later, so queries sent before the first
 * answer is awaited are pipelined: Neo4j runs them in order while the next ones are encoded.
 */
export async function withWrites(
  deps: { db: Db; batchSize: number },
  rows: number,
  work: (run: Run) => Promise<void>,
): Promise<void> {
  const session = openSession(deps.db, 'WRITE');
  try {
    if (rows <= deps.batchSize) {
      await session.executeWrite(async (tx: ManagedTransaction) => {
        await work((q, p) => tx.run(q, p).then((res) => res.records.map((r) => r.toObject())));
      });
    } else {
      // A session runs one transaction at a time: queries queue up, each in its own.
      let queue: Promise<unknown> = Promise.resolve();
      await work((q, p) => {
        const next = queue.then(() => session.executeWrite(async (tx) => (await tx.run(q, p)).records.map((r) => r.toObject())));
        queue = next.catch(() => {});
        return next;
      });
    }
  } finally {
    await session.close();
  }
}
