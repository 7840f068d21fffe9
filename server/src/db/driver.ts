import neo4j, { type Driver, type Session } from 'neo4j-driver';
import type { PlexusConfig } from '../config.ts';

/** Creates the Neo4j driver from the configuration (Bolt or routing `neo4j://` URIs); GraphQL workers use a smaller pool. */
export function createDriver(config: PlexusConfig['neo4j'] & { uri: string; poolSize?: number }): Driver {
  return neo4j.driver(config.uri, neo4j.auth.basic(config.user, config.password), {
    maxConnectionPoolSize: config.poolSize ?? 50,
    connectionAcquisitionTimeout: 30_000,
    disableLosslessIntegers: true,
    userAgent: 'plexus/0.1',
  });
}

/** Neo4j access shared by the modules: the driver plus the database to use. */
export interface Db {
  driver: Driver;
  database?: string;
}

/** Opens a session on the configured database. */
export function openSession(db: Db, mode: 'READ' | 'WRITE' = 'WRITE'): Session {
  return db.driver.session({
    database: db.database,
    defaultAccessMode: mode === 'READ' ? neo4j.session.READ : neo4j.session.WRITE,
  });
}

async function runRows<T>(db: Db, routing: 'READ' | 'WRITE', query: string, params: Record<string, unknown>): Promise<T[]> {
  const res = await db.driver.executeQuery(query, params, {
    database: db.database,
    routing: routing === 'READ' ? neo4j.routing.READ : neo4j.routing.WRITE,
  });
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
