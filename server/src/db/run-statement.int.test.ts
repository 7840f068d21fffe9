import { createServer } from 'node:net';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueId } from '../test-support.ts';
import { createDriver, type Db, runStatement, statementDriver } from './driver.ts';

// Single statements run as auto-commit transactions (one round trip instead of BEGIN, RUN and
// COMMIT), retried like managed transactions on errors the driver calls retriable.

const drivers: Driver[] = [];
function connect(uri = inject('neo4jUri'), connectTimeoutMs?: number): Driver {
  const driver = createDriver({
    uri,
    user: inject('neo4jUser'),
    password: inject('neo4jPassword'),
    connectTimeoutMs,
  });
  drivers.push(driver);
  return driver;
}

let db: Db;
beforeAll(() => {
  db = { driver: connect() };
});
afterAll(async () => {
  for (const d of drivers) await d.close().catch(() => {});
});

const codeOf = (err: unknown) => (err as { code?: string }).code;

describe('runStatement', () => {
  it('commits a write that the next statement reads', async () => {
    const id = uniqueId('stmt');
    const written = await runStatement(
      db,
      'CREATE (p:_StatementProbe {id: $id}) RETURN p.id AS id',
      { id },
      { mode: 'WRITE' },
    );
    expect(written.records.map((r) => r.get('id'))).toEqual([id]);
    expect(written.summary.counters.updates().nodesCreated).toBe(1);
    const read = await runStatement(
      db,
      'MATCH (p:_StatementProbe {id: $id}) RETURN count(p) AS n',
      { id },
      { mode: 'READ' },
    );
    expect(read.records[0].get('n')).toBe(1);
    await runStatement(db, 'MATCH (p:_StatementProbe {id: $id}) DELETE p', { id }, { mode: 'WRITE' });
  });

  it('runs in the access mode asked for: a write in READ mode is refused', async () => {
    const err = await runStatement(db, 'CREATE (:_StatementProbe)', {}, { mode: 'READ' }).catch(
      (e: unknown) => e,
    );
    expect(codeOf(err)).toMatch(/^Neo\.ClientError\.Statement\.AccessMode/);
  });

  it('stops a statement at its timeout', async () => {
    const err = await runStatement(
      db,
      'CALL apoc.util.sleep(20000)',
      {},
      { mode: 'READ', timeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(codeOf(err)).toMatch(/^Neo\.ClientError\.Transaction\.TransactionTimedOut/);
  }, 60_000);

  it('does not retry a statement Neo4j rejects', async () => {
    // With 30 s to retry, a retried client error would fail only after about 30 s.
    const started = Date.now();
    const err = await runStatement(
      { ...db, retryMs: 30_000 },
      'RETURN 1 / toInteger($zero) AS x',
      { zero: 0 },
      { mode: 'READ' },
    ).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('Neo.ClientError.Statement.ArithmeticError');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('retries a database it cannot reach for retryMs, then throws', async () => {
    // A port that accepts and at once drops every connection: each attempt opens a new one.
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    try {
      const away: Db = { driver: connect(`bolt://127.0.0.1:${port}`, 2000) };
      const once = await runStatement({ ...away, retryMs: 0 }, 'RETURN 1', {}, { mode: 'READ' }).catch(
        (e: unknown) => e,
      );
      expect(codeOf(once)).toBe('ServiceUnavailable');
      const single = connections;
      connections = 0;
      const started = Date.now();
      const retried = await runStatement({ ...away, retryMs: 2500 }, 'RETURN 1', {}, { mode: 'READ' }).catch(
        (e: unknown) => e,
      );
      expect(codeOf(retried)).toBe('ServiceUnavailable');
      // The first retry waits 1 s (± 20%) and opens connections again.
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(connections).toBeGreaterThan(single);
    } finally {
      server.close();
    }
  }, 60_000);
});

describe('statementDriver', () => {
  it("runs a library's managed-transaction work as one statement, with its timeout", async () => {
    const session = statementDriver(db).session({ database: db.database });
    const ok = (await session.executeRead((tx) => tx.run('RETURN $x AS x', { x: 41 }))) as unknown as {
      records: { get(k: string): unknown }[];
    };
    expect(ok.records[0].get('x')).toBe(41);
    const err = await session
      .executeRead((tx) => tx.run('CALL apoc.util.sleep(20000)'), { timeout: 300 })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toMatch(/^Neo\.ClientError\.Transaction\.TransactionTimedOut/);
    await session.close();
  }, 60_000);
});
