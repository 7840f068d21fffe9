import neo4j, { type Driver, type ManagedTransaction, type Record as Neo4jRecord, type ResultSummary, type Session } from 'neo4j-driver';
import type { PlexusConfig } from '../config.ts';
import { mapDatabaseError, ServiceUnavailableError } from '../errors.ts';

/**
 * Creates the Neo4j driver from the configuration (Bolt or routing `neo4j://` URIs). Connecting
 * and acquiring a connection give up after `connectTimeoutMs` (default 5 s) and retried
 * transactions after `maxRetryMs` (default 5 s), so a request made while the database is away
 * fails within seconds (503) instead of half a minute; the pool reconnects by itself. GraphQL
 * workers use a smaller pool (`poolSize`).
 */
export function createDriver(config: PlexusConfig['neo4j'] & { uri: string; poolSize?: number }): Driver {
  const connect = config.connectTimeoutMs ?? 5000;
  return neo4j.driver(config.uri, neo4j.auth.basic(config.user, config.password), {
    maxConnectionPoolSize: config.poolSize ?? 50,
    connectionAcquisitionTimeout: connect,
    connectionTimeout: connect,
    maxTransactionRetryTime: config.maxRetryMs ?? 5000,
    disableLosslessIntegers: true,
    userAgent: 'plexus/0.1',
  });
}

/**
 * The 503 to answer when `err` says the database cannot be reached (down, restarting, pool
 * exhausted, driver closed by a shutdown) or had a transient failure; null for other errors.
 * The classification itself is `mapDatabaseError` in errors.ts.
 */
export function databaseUnavailable(err: unknown): ServiceUnavailableError | null {
  const mapped = mapDatabaseError(err);
  return mapped instanceof ServiceUnavailableError ? mapped : null;
}

/** Neo4j access shared by the modules: the driver plus the database to use. */
export interface Db {
  driver: Driver;
  database?: string;
  /** How long single statements are retried on transient errors, ms (`NEO4J_MAX_RETRY_MS`; default 5000). */
  retryMs?: number;
}

/** Opens a session on the configured database. */
export function openSession(db: Db, mode: 'READ' | 'WRITE' = 'WRITE'): Session {
  return db.driver.session({
    database: db.database,
    defaultAccessMode: mode === 'READ' ? neo4j.session.READ : neo4j.session.WRITE,
  });
}

/** Options of {@link runStatement}. */
export interface StatementOptions {
  mode: 'READ' | 'WRITE';
  /** Neo4j stops the statement after this many ms. */
  timeoutMs?: number;
  /** Transaction metadata (shown by `SHOW TRANSACTIONS`). */
  metadata?: Record<string, unknown>;
}

/**
 * Runs one statement as an auto-commit transaction: RUN and PULL go out in one write and come
 * back in one round trip. A managed transaction (`executeQuery`, `executeRead`) adds a BEGIN and a
 * COMMIT, each a write of its own, and Neo4j handles four messages instead of two: measured on
 * 2026-12-03 with 16 concurrent point reads on 2 cores, 0.58 → 0.33 ms of client CPU and 0.78 →
 * 0.39 ms of Neo4j CPU per read. For one statement the transaction is the same (it commits when
 * the result is consumed); the difference is the retry, done here as the driver does it for
 * managed transactions: errors it calls retriable (transient errors, a server that is away or
 * changed roles) are retried with exponential backoff for up to `db.retryMs`. Statements that
 * must commit together still belong in one managed transaction.
 */
export async function runStatement(
  db: Db,
  query: string,
  params: Record<string, unknown>,
  options: StatementOptions,
): Promise<{ records: Neo4jRecord[]; summary: ResultSummary }> {
  const deadline = Date.now() + (db.retryMs ?? 5000);
  for (let delay = retryDelay.initialMs; ; delay *= retryDelay.multiplier) {
    const session = db.driver.session({
      database: db.database,
      defaultAccessMode: options.mode === 'READ' ? neo4j.session.READ : neo4j.session.WRITE,
      // Causal chaining with every other statement of this driver, as executeQuery does.
      bookmarkManager: db.driver.executeQueryBookmarkManager,
    });
    try {
      const result = await session.run(query, params, { timeout: options.timeoutMs, metadata: options.metadata });
      return { records: result.records, summary: result.summary };
    } catch (err) {
      const wait = delay * (1 + retryDelay.jitter * (2 * Math.random() - 1));
      if (!neo4j.isRetryableError(err as Error) || Date.now() + wait > deadline) throw err;
      await new Promise((ok) => setTimeout(ok, wait));
    } finally {
      await session.close();
    }
  }
}

/**
 * A driver-shaped object for @neo4j/graphql, which runs each of its statements in a managed
 * transaction of its own (`session.executeRead(tx => tx.run(...))`): here that one statement runs
 * through {@link runStatement}, with the session's database and access mode and the transaction's
 * timeout and metadata. Only what the library's Executor calls exists (`session()` with
 * `executeRead`, `executeWrite` and `close`, and `executeQueryBookmarkManager`).
 */
export function statementDriver(db: Db): Driver {
  type Work = (tx: { run: (query: string, params?: Record<string, unknown>) => unknown }) => unknown;
  type TxConfig = { timeout?: number; metadata?: Record<string, unknown> } | undefined;
  const session = (config: { database?: string } = {}) => {
    const target: Db = { ...db, database: config.database ?? db.database };
    const execute = (mode: 'READ' | 'WRITE') => async (work: Work, tx: TxConfig) =>
      work({
        run: (query, params = {}) =>
          runStatement(target, query, params, { mode, timeoutMs: tx?.timeout, metadata: tx?.metadata }),
      });
    return { executeRead: execute('READ'), executeWrite: execute('WRITE'), close: async () => {} };
  };
  // Read when a statement runs, not now: a schema is also built without a database (checks, tests).
  return {
    session,
    get executeQueryBookmarkManager() {
      return db.driver.executeQueryBookmarkManager;
    },
  } as unknown as Driver;
}

/** The driver's own backoff for managed transactions (neo4j-driver's TransactionExecutor). */
const retryDelay = { initialMs: 1000, multiplier: 2, jitter: 0.2 };

async function runRows<T>(db: Db, routing: 'READ' | 'WRITE', query: string, params: Record<string, unknown>): Promise<T[]> {
  const res = await runStatement(db, query, params, { mode: routing });
  return res.records.map((r) => r.toObject() as T);
}

/** Runs one read query (routed to a reader in a cluster) and returns the records as plain objects. */
export function readRows<T = Record<string, unknown>>(db: Db, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return runRows<T>(db, 'READ', query, params);
}

/** Runs one write query in its own transaction and returns the records as plain objects. */
export function writeRows<T = Record<string, unknown>>(db: Db, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return runRows<T>(db, 'WRITE', query, params);
}

/** Runs one query inside the caller's transaction and returns the records as plain objects. */
export async function txRows<T = Record<string, unknown>>(tx: ManagedTransaction, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const res = await tx.run(query, params);
  return res.records.map((r) => r.toObject() as T);
}

/**
 * Whether the database answered recently, kept by a cheap probe (`RETURN 1`, bounded by
 * `timeoutMs`) every `intervalMs`: requests answer 503 at once while it is known to be down.
 * Only a failed probe marks it down; a slow one (a busy pool) leaves the flag as it was.
 */
export interface DbHealth {
  /** False once a probe failed, true again after one succeeded. */
  up(): boolean;
  /** Probes now (at most `timeoutMs`) and returns null when up, else why not. */
  probe(timeoutMs?: number): Promise<string | null>;
  stop(): void;
}

/** Starts the background probe of `db` (see `DbHealth`). */
export function createDbHealth(db: Db, options: { intervalMs?: number; timeoutMs?: number; onChange?: (up: boolean, reason: string | null) => void } = {}): DbHealth {
  const timeoutMs = options.timeoutMs ?? 1000;
  let up = true;
  let running: Promise<string | null> | null = null;
  const probeOnce = async (): Promise<string | null> => {
    const session = db.driver.session({ database: db.database, defaultAccessMode: neo4j.session.READ });
    let reason: string | null = null;
    try {
      await session.run('RETURN 1');
    } catch (err) {
      reason = (err as Error).message.split('\n')[0];
    } finally {
      session.close().catch(() => {});
    }
    if ((reason === null) !== up) {
      up = reason === null;
      options.onChange?.(up, reason);
    }
    return reason;
  };
  const probe = (limit = timeoutMs): Promise<string | null> => {
    running ??= probeOnce().finally(() => {
      running = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((ok) => {
      timer = setTimeout(() => ok(`no answer within ${limit} ms`), limit);
    });
    return Promise.race([running, late]).finally(() => clearTimeout(timer));
  };
  const interval = setInterval(() => void probe(), options.intervalMs ?? 1000);
  interval.unref();
  return { up: () => up, probe, stop: () => clearInterval(interval) };
}

/**
 * Waits until Neo4j at `uri` answers, logging "waiting for Neo4j at <uri> (attempt n)" while it
 * does not, for at most `timeoutMs`; errors other than "unreachable" (bad credentials, unknown
 * database) are thrown at once.
 */
export async function waitForNeo4j(db: Db, uri: string, options: { timeoutMs: number; log: (message: string, fields: Record<string, unknown>) => void }): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await db.driver.verifyConnectivity({ database: db.database });
      return;
    } catch (err) {
      if (!databaseUnavailable(err)) throw err;
      const reason = (err as Error).message.split('\n')[0];
      if (Date.now() - started >= options.timeoutMs) {
        throw new Error(`Neo4j at ${uri} did not answer within ${options.timeoutMs} ms (${reason}); check that it runs and NEO4J_URI, or raise NEO4J_WAIT_TIMEOUT_MS`);
      }
      options.log(`waiting for Neo4j at ${uri} (attempt ${attempt})`, { reason });
      await new Promise((ok) => setTimeout(ok, Math.min(1000 * attempt, 5000)));
    }
  }
}
