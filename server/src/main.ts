/**
 * Plexus entry point: read config → start what is missing (embedded Neo4j) → create
 * dependencies → create the app → serve. The only module with side effects.
 */
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { ensureAdminToken } from './auth/bootstrap.ts';
import { ConfigError, readConfig } from './config.ts';
import { createDriver } from './db/driver.ts';
import { type EmbeddedNeo4j, startEmbeddedNeo4j } from './db/embedded-neo4j.ts';
import { loadDemo } from './demo/load-demo.ts';
import { createLogger } from './log.ts';
import { createServices } from './services.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`plexus: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  let embedded: EmbeddedNeo4j | null = null;
  let uri = config.neo4j.uri;
  if (!uri) {
    logger.info('NEO4J_URI is not set: starting the embedded Neo4j', { dataDir: join(config.dataDir, 'neo4j') });
    embedded = await startEmbeddedNeo4j({
      dataDir: join(config.dataDir, 'neo4j'),
      port: Number(process.env.NEO4J_BOLT_PORT ?? 7687),
      onOutput: (line) => {
        if (line.startsWith('neo4j:') || /ERROR|Exception/.test(line)) logger.info(line, { component: 'neo4j' });
      },
    });
    uri = embedded.uri;
  }
  const driver = createDriver({ ...config.neo4j, uri });
  await driver.verifyConnectivity({ database: config.neo4j.database });
  const db = { driver, database: config.neo4j.database };
  // The GraphQL workers open their own connections to the same database.
  const services = await createServices({ ...config, neo4j: { ...config.neo4j, uri } }, db, logger);
  const notice = await ensureAdminToken(services.tokens, { adminToken: config.adminToken, dataDir: config.dataDir });
  if (config.demo) {
    const loaded = await loadDemo(services);
    if (loaded > 0) logger.info('demo organisation ready', { entities: loaded });
  }
  await services.schemas.ready();
  const app = createApp(services, { webDist: process.env.PLEXUS_WEB_DIST ?? join(process.cwd(), 'web', 'dist') });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  const lines = [`Plexus is running at ${url}  (GraphQL: ${url}/graphql)`];
  if (notice.kind === 'generated') {
    lines.push(`Admin token (shown once; also saved to ${notice.file}, mode 600):`, `  ${notice.token}`);
  } else if (notice.kind === 'existing') {
    lines.push(notice.file ? `Admin token: see ${notice.file}` : 'Admin token: generated on first start (set PLEXUS_ADMIN_TOKEN to choose one)');
  } else {
    lines.push('Admin token: the value of PLEXUS_ADMIN_TOKEN');
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.close();
    services.stop();
    await driver.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`plexus: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
