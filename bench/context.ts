/**
 * The side-effecting half of the harness: starts (or connects to) Neo4j, starts Plexus servers
 * for benchmarks, resets the database and describes the machine. Used by bench/run.ts only.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from '../server/src/app.ts';
import { type PlexusConfig, readConfig } from '../server/src/config.ts';
import { createDriver } from '../server/src/db/driver.ts';
import { type EmbeddedNeo4j, startEmbeddedNeo4j } from '../server/src/db/embedded-neo4j.ts';
import { createLogger } from '../server/src/log.ts';
import { createServices } from '../server/src/services.ts';
import type { BenchContext } from './harness.ts';

/** A context plus what only the runner may do with it. */
export interface OpenContext extends BenchContext {
  /** One line naming the Neo4j server (version and edition). */
  neo4jVersion(): Promise<string>;
  close(): Promise<void>;
}

/** A port nothing listens on now (bound and released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((ok) => probe.close(() => ok()));
  return port;
}

/** Everything a Plexus process needs but the benchmark does not choose. */
function plexusConfig(uri: string, token: string, dataDir: string): PlexusConfig {
  const base = readConfig({
    NEO4J_URI: uri,
    NEO4J_USER: process.env.NEO4J_USER,
    NEO4J_PASSWORD: process.env.NEO4J_PASSWORD,
    NEO4J_DATABASE: process.env.NEO4J_DATABASE,
    PLEXUS_ADMIN_TOKEN: token,
    // No plexus.yaml of the working copy: its sources or limits would change what is measured.
    PLEXUS_CONFIG: '/dev/null',
    PLEXUS_DATA_DIR: dataDir,
    PLEXUS_DEMO: 'false',
    // The limiter guards against runaway scripts; a benchmark is one on purpose.
    PLEXUS_RATE_LIMIT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  } as NodeJS.ProcessEnv);
  return { ...base, host: '127.0.0.1', port: 0 };
}

/**
 * Opens the benchmark context: `NEO4J_URI` when set (the user's Neo4j: resetDatabase empties
 * it!), else an embedded Neo4j in a temporary data directory with a bigger page cache and heap
 * than the development default, removed again by `close()`.
 */
export async function openContext(options: { log: (msg: string) => void }): Promise<OpenContext> {
  const { log } = options;
  const scratch = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
  let embedded: EmbeddedNeo4j | null = null;
  let uri = process.env.NEO4J_URI;
  if (uri) {
    log(`using NEO4J_URI ${uri} (its data is deleted by benchmarks that reset the database)`);
  } else {
    const heap = process.env.BENCH_NEO4J_HEAP ?? '2g';
    const pageCache = process.env.BENCH_NEO4J_PAGECACHE ?? '1g';
    log(`starting an embedded Neo4j (heap ${heap}, page cache ${pageCache}) in ${scratch}`);
    embedded = await startEmbeddedNeo4j({
      dataDir: join(scratch, 'neo4j'),
      heap,
      pageCache,
      onOutput: (line) => {
        if (line.startsWith('neo4j:') || /ERROR|Exception/.test(line)) log(`neo4j: ${line}`);
      },
    });
    uri = embedded.uri;
    log(`embedded Neo4j ready at ${uri}`);
  }
  const neo4jConfig = {
    uri,
    user: embedded?.user ?? process.env.NEO4J_USER ?? 'neo4j',
    password: embedded?.password ?? process.env.NEO4J_PASSWORD ?? 'neo4j',
    database: process.env.NEO4J_DATABASE,
  };
  const driver = createDriver(neo4jConfig);
  await driver.verifyConnectivity({ database: neo4jConfig.database });
  const running = new Set<() => Promise<void>>();
  let plexusCount = 0;

  const ctx: OpenContext = {
    neo4jUri: uri,
    neo4jAuth: { user: neo4jConfig.user, password: neo4jConfig.password, database: neo4jConfig.database },
    driver,
    log,
    neo4jPid: () => embedded?.process.pid,

    async startPlexus(options = {}) {
      const token = `bench-${randomBytes(16).toString('hex')}`;
      const base = plexusConfig(uri!, token, join(scratch, `plexus-${++plexusCount}`));
      // The port is chosen before the services exist: action runs tell executors this URL to report to.
      const port = await freePort();
      // The GraphQL workers connect with config.neo4j: the embedded database's generated password.
      const config = {
        ...base,
        port,
        actions: { ...base.actions, publicUrl: `http://127.0.0.1:${port}` },
        neo4j: { ...base.neo4j, user: neo4jConfig.user, password: neo4jConfig.password },
        egress: { ...base.egress, allow: [...base.egress.allow, ...(options.egressAllow ?? [])] },
      };
      const plexusDriver = createDriver({ ...config.neo4j, uri: uri! });
      const logger = createLogger({ level: config.logLevel, write: (line) => process.stderr.write(line) });
      const services = await createServices(
        config,
        { driver: plexusDriver, database: config.neo4j.database },
        logger,
      );
      await services.schemas.ready();
      const app = createApp(services, options.webDist ? { webDist: options.webDist } : {});
      const server = await new Promise<Server>((ok) => {
        const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => ok(s as Server));
      });
      const close = async () => {
        running.delete(close);
        await new Promise<void>((ok) => {
          server.close(() => ok());
          // fetch keeps connections alive; without this close() waits for their idle timeout.
          server.closeAllConnections();
        });
        services.stop();
        await plexusDriver.close();
      };
      running.add(close);
      return { url: `http://127.0.0.1:${port}`, token, services, close };
    },

    async resetDatabase() {
      const session = driver.session({ database: neo4jConfig.database });
      try {
        // CALL { } IN TRANSACTIONS needs an auto-commit transaction (session.run), and deleting
        // relationships first keeps each node batch small however many edges a node had.
        await session.run('MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS');
        await session.run('MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS');
        const res = await session.run(
          "SHOW CONSTRAINTS YIELD name WHERE name STARTS WITH 'plexus_bp_' RETURN name",
        );
        for (const record of res.records) {
          const name = record.get('name') as string;
          // The name comes from the database, but it is pasted into Cypher: accept only our shape.
          if (!/^plexus_bp_[A-Za-z0-9_]+$/.test(name)) throw new Error(`unexpected constraint name ${name}`);
          await session.run(`DROP CONSTRAINT ${name} IF EXISTS`);
        }
        // Plans cached for the old graph would otherwise carry over and make runs depend on
        // what ran before; a fresh database plans its queries on what it holds.
        await session.run('CALL db.clearQueryCaches()').catch(() => {});
      } finally {
        await session.close();
      }
    },

    async neo4jVersion() {
      const res = await driver.executeQuery(
        'CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition',
        {},
        { database: neo4jConfig.database },
      );
      return res.records.map((r) => `${r.get('name')} ${r.get('version')} ${r.get('edition')}`).join(', ');
    },

    async close() {
      for (const stop of [...running]) await stop().catch(() => {});
      await driver.close();
      if (embedded) {
        log('stopping the embedded Neo4j');
        await embedded.stop();
      }
      rmSync(scratch, { recursive: true, force: true });
    },
  };
  return ctx;
}

function javaVersion(): string {
  // `java -version` writes to stderr.
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) return 'not found';
  return (
    r.stderr
      .split('\n')
      .slice(0, 2)
      .map((l) => l.trim())
      .filter(Boolean)
      .join('; ') || 'unknown'
  );
}

/** The machine a run happened on, for the RESULTS.md header and each section. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  java: string;
  neo4j: string;
}

/** Describes this machine and the Neo4j the context uses. */
export async function describeMachine(ctx: OpenContext | null): Promise<MachineInfo> {
  const c = cpus();
  let os = `${platform()} ${release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) os = `${pretty[1]} (${platform()} ${release()})`;
  } catch {}
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os,
    node: process.version,
    java: process.env.NEO4J_URI ? `${javaVersion()} (local; Neo4j is external)` : javaVersion(),
    neo4j: ctx
      ? await ctx.neo4jVersion().catch((err) => `unknown (${(err as Error).message})`)
      : 'not started',
  };
}

/** A setting of the Neo4j behind `driver` (dbms.listConfig), or null when it cannot be read. */
export async function neo4jSetting(driver: BenchContext['driver'], name: string): Promise<string | null> {
  try {
    const res = await driver.executeQuery(
      'CALL dbms.listConfig($name) YIELD name, value WHERE name = $name RETURN value',
      { name },
    );
    return (res.records[0]?.get('value') as string | undefined) ?? null;
  } catch {
    return null;
  }
}
