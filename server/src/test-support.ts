import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { Plan } from 'neo4j-driver';
import { inject } from 'vitest';
import { createApp } from './app.ts';
import { type PlexusConfig, readConfig } from './config.ts';
import { createDriver, type Db } from './db/driver.ts';
import { silentLogger } from './log.ts';
import { createServices, type Services } from './services.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/** A Plexus app on the test Neo4j, with an admin token, for integration tests. */
export interface TestPlexus {
  app: ReturnType<typeof createApp>;
  services: Services;
  adminToken: string;
  /** `app.request` with the admin token (or `token`) and JSON body handling. */
  call(method: string, path: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * The operators of the plan Neo4j makes for `query` (EXPLAIN: nothing runs), e.g.
 * `['ProduceResults', 'Projection', 'NodeIndexSeek']`: to pin that a listing seeks an index and
 * takes its order from it instead of sorting every row.
 */
export async function planOperators(db: Db, query: string, params: Record<string, unknown>): Promise<string[]> {
  const { summary } = await db.driver.executeQuery(`EXPLAIN ${query}`, params, { database: db.database });
  const walk = (p: Plan): string[] => [p.operatorType.replace(/@.*/, ''), ...p.children.flatMap(walk)];
  return walk(summary.plan as Plan);
}

// One helper for the server's and the connectors' tests (the SDK's test entry holds it).
export { uniqueId, waitFor } from '@plexus/connector-sdk/testing';

/** Starts Plexus in-process against the Neo4j the global setup provides. */
/**
 * The default auth settings with the per-caller rate limit off, for tests that send hundreds of
 * requests from one token (the limit itself is tested in auth/hardening.int.test.ts): its 429s
 * would otherwise stand in for the answers under test whenever the machine is fast.
 */
export function authWithoutRateLimit(): PlexusConfig['auth'] {
  const defaults = readConfig({ PLEXUS_CONFIG: '/dev/null' } as NodeJS.ProcessEnv);
  return { ...defaults.auth, rateLimit: { perMinute: 0, burst: 1 } };
}

export async function startTestPlexus(overrides: Partial<PlexusConfig> = {}, options: { eagerSchema?: boolean } = {}): Promise<TestPlexus> {
  const adminToken = `test-admin-${randomBytes(8).toString('hex')}`;
  const base = readConfig({ NEO4J_URI: inject('neo4jUri'), NEO4J_USER: inject('neo4jUser'), NEO4J_PASSWORD: inject('neo4jPassword'), PLEXUS_ADMIN_TOKEN: adminToken, PLEXUS_CONFIG: '/dev/null' } as NodeJS.ProcessEnv);
  // Tests serve fake sources on 127.0.0.1 and from temporary folders: allowed explicitly here,
  // as an operator would with PLEXUS_EGRESS_ALLOW and PLEXUS_FILE_ROOTS (override to test refusals).
  const config: PlexusConfig = {
    ...base,
    graphql: { rebuildDebounceMs: 20, modelPollMs: 0 },
    demo: false,
    files: { ...base.files, roots: [process.cwd(), tmpdir()] },
    egress: { ...base.egress, allow: ['127.0.0.1', '::1'] },
    ...overrides,
  };
  const driver = createDriver({ ...config.neo4j, uri: config.neo4j.uri! });
  const services = await createServices(config, { driver }, silentLogger, { eagerSchema: options.eagerSchema ?? false });
  const created: string[] = [];
  const app = createApp(services);
  return {
    app,
    services,
    adminToken,
    async call(method, path, body, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? adminToken : options.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await app.request(path, { method, headers, body: payload });
      if (method === 'POST' && path === '/api/v1/blueprints' && res.status === 201) created.push((body as { identifier: string }).identifier);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      // Remove this test's blueprints (sources before targets) so later schema builds stay small.
      for (const id of created.reverse()) {
        try {
          await app.request(`/api/v1/blueprints/${id}?force=true`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
        } catch {}
      }
      services.stop();
      await driver.close();
    },
  };
}

/**
 * Waits until the served GraphQL schema knows `type` (schemas are rebuilt off the request path,
 * a moment after a blueprint change).
 */
export async function waitForGraphqlType(px: Pick<TestPlexus, 'call'>, type: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `GraphQL type ${type}`,
    async () => (await px.call('POST', '/graphql', { query: `{ __type(name: "${type}") { name } }` })).body?.data?.__type?.name === type,
    timeoutMs,
  );
}
