/**
 * Plexus entry point: read config → start what is missing (embedded Neo4j, supervised: restarted
 * if it dies, and dying with this process) → wait for Neo4j → create dependencies → create the
 * app → serve. SIGTERM/SIGINT drain: no new connections, in-flight requests finish (at most
 * PLEXUS_SHUTDOWN_TIMEOUT_MS), schedules stop, then the driver and the database close.
 * The only module with side effects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import type { Driver } from 'neo4j-driver';
import { createApp } from './app.ts';
import { ensureAdminToken } from './auth/bootstrap.ts';
import { ConfigError, readConfig } from './config.ts';
import { createDriver, waitForNeo4j } from './db/driver.ts';
import { type SupervisedNeo4j, superviseEmbeddedNeo4j } from './db/embedded-neo4j.ts';
import { demoExecutorSettings, startDemoActions } from './demo/actions/demo-actions.ts';
import { loadDemo } from './demo/load-demo.ts';
import { createLogger } from './log.ts';
import { createServices, type Services } from './services.ts';

/** Set once SIGTERM/SIGINT arrived: a startup step failing after that is the shutdown, not an error. */
let stopping = false;

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig();
    // The demo's actions call the demo executor on 127.0.0.1: that one address:port is allowed.
    if (config.demo) config.egress.allow.push(demoExecutorSettings(process.env).egressAllow);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`plexus: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  let embedded: SupervisedNeo4j | null = null;
  let driver: Driver | null = null;
  let services: Services | null = null;
  let demoActions: { stop(): void } | null = null;
  let server: ServerType | null = null;
  let inFlight = 0;
  let drained: (() => void) | null = null;

  // Registered first, so a signal during startup also stops the database in order.
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timeoutMs = config.shutdownTimeoutMs ?? 30_000;
    const settle = (limitMs: number) =>
      inFlight === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((ok) => {
            const timer = setTimeout(() => ok(false), limitMs);
            drained = () => {
              clearTimeout(timer);
              ok(true);
            };
          });
    if (server) {
      // No new connections from here on; requests already received run to the end.
      logger.info('shutting down: no new connections, waiting for in-flight requests', {
        signal,
        inFlight,
        timeoutMs,
      });
      server.close();
      if (!(await settle(timeoutMs)))
        logger.warn('in-flight requests did not finish in time; closing the database under them', {
          inFlight,
          timeoutMs,
        });
    } else {
      logger.info('shutting down during startup', { signal });
    }
    demoActions?.stop();
    services?.stop();
    await driver?.close().catch(() => {});
    // Requests still running fail now with a 503 (a bulk write lists what it committed): let them answer.
    if (inFlight > 0) await settle(5000);
    (server as { closeAllConnections?: () => void } | null)?.closeAllConnections?.();
    await embedded?.stop();
    logger.info('stopped', { signal });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  let uri = config.neo4j.uri;
  let credentials = { user: config.neo4j.user, password: config.neo4j.password };
  if (!uri) {
    const dataDir = join(config.dataDir, 'neo4j');
    logger.info('NEO4J_URI is not set: starting the embedded Neo4j', { dataDir });
    embedded = await superviseEmbeddedNeo4j({
      dataDir,
      port: Number(process.env.NEO4J_BOLT_PORT ?? 7687),
      onOutput: (line) => {
        if (line.startsWith('neo4j:') || /ERROR|Exception/.test(line))
          logger.info(line, { component: 'neo4j' });
      },
      onEvent: (message, fields) => logger.warn(message, fields),
    });
    uri = embedded.uri;
    // The embedded database has its own generated password (stored 0600 in its data directory).
    credentials = { user: embedded.user, password: embedded.password };
    logger.info('embedded Neo4j is ready', { uri, pid: embedded.pid() });
  }
  driver = createDriver({ ...config.neo4j, ...credentials, uri });
  const db = { driver, database: config.neo4j.database, retryMs: config.neo4j.maxRetryMs };
  await waitForNeo4j(db, uri, {
    timeoutMs: config.neo4j.waitTimeoutMs ?? 300_000,
    log: (message, fields) => logger.warn(message, fields),
  });
  // The GraphQL workers open their own connections to the same database, with the same credentials.
  services = await createServices({ ...config, neo4j: { ...config.neo4j, ...credentials, uri } }, db, logger);
  const notice = await ensureAdminToken(services.tokens, {
    adminToken: config.adminToken,
    dataDir: config.dataDir,
  });
  if (config.demo) {
    const loaded = await loadDemo(services);
    if (loaded > 0) logger.info('demo organisation ready', { entities: loaded });
    // The demo executor (its own process) and the starter actions that run on it.
    demoActions = await startDemoActions(services, {
      dataDir: config.dataDir,
      plexusUrl: config.actions.publicUrl,
    });
  }
  await services.schemas.ready();
  if (stopping) return;
  const app = createApp(services, {
    webDist: process.env.PLEXUS_WEB_DIST ?? join(process.cwd(), 'web', 'dist'),
  });
  server = serve({ fetch: app.fetch, hostname: config.host, port: config.port });
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const lines = [`Plexus is running at ${url}  (GraphQL: ${url}/graphql)`];
  if (notice.kind === 'generated') {
    lines.push(`Admin token (shown once; also saved to ${notice.file}, mode 600):`, `  ${notice.token}`);
  } else if (notice.kind === 'existing') {
    lines.push(
      notice.file
        ? `Admin token: see ${notice.file}`
        : 'Admin token: generated on first start (set PLEXUS_ADMIN_TOKEN to choose one)',
    );
  } else {
    lines.push('Admin token: the value of PLEXUS_ADMIN_TOKEN');
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

main().catch((err) => {
  if (stopping) return;
  process.stderr.write(
    `plexus: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
