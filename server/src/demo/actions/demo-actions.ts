/**
 * The demo's actions: starter action definitions (the JSON files beside this module) run by the
 * demo executor (examples/demo-executor), and what `npm start` needs to wire them: the
 * executor's credentials, its process, and loading the definitions.
 *
 * Wiring (main.ts, when `config.demo`): before createServices, let the webhook reach the
 * executor on 127.0.0.1; after the demo organisation is loaded, start the executor and load the
 * actions (`startDemoActions`), and stop it on shutdown.
 * @example
 * if (config.demo) config.egress.allow.push(demoExecutorSettings(process.env).egressAllow);
 * ...
 * const demoActions = config.demo ? await startDemoActions(services, { dataDir: config.dataDir, plexusUrl: config.actions.publicUrl }) : null;
 * // in stop(): demoActions?.stop();
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionDefinition } from '@plexus/contract';
import type { ActionsService } from '../../actions/types.ts';
import type { Principal } from '../../auth/principal.ts';
import type { TokenStore } from '../../auth/tokens.ts';
import { ConfigError } from '../../config.ts';
import { ConflictError } from '../../errors.ts';
import type { Logger } from '../../log.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..', '..', '..');

/** A starter action as stored in its JSON file: everything but the invoker, which points at the executor. */
export type DemoActionFile = Omit<ActionDefinition, 'invoker'>;

/** The starter actions, in file-name order. */
export function readDemoActions(dir = here): DemoActionFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as DemoActionFile);
}

/** The starter actions with a signed webhook invoker to the demo executor. */
export function demoActionDefinitions(executor: { hookUrl: string; secret: string }): ActionDefinition[] {
  return readDemoActions().map((a) => ({
    ...a,
    invoker: {
      type: 'webhook',
      url: executor.hookUrl,
      secret: executor.secret,
      timeoutMs: 10_000,
      retries: 2,
    },
  }));
}

/** The principal the demo loads its actions as. */
export const demoPrincipal: Principal = {
  id: 'demo',
  name: 'demo',
  kind: 'service',
  role: 'admin',
  teams: [],
  moderates: [],
};

/**
 * Creates the starter actions whose blueprint exists. An action that already exists is left as it
 * is (an operator may have edited it) unless `refresh` is set — as it should be when the
 * executor's secret was just generated, since the stored actions still sign with the old one.
 */
export async function loadDemoActions(
  actions: Pick<ActionsService, 'create' | 'replace'>,
  principal: Principal,
  executor: { hookUrl: string; secret: string },
  options: { blueprints: Iterable<string>; refresh?: boolean },
): Promise<{ created: string[]; existing: string[]; replaced: string[]; skipped: string[] }> {
  const blueprints = new Set(options.blueprints);
  const out = {
    created: [] as string[],
    existing: [] as string[],
    replaced: [] as string[],
    skipped: [] as string[],
  };
  for (const def of demoActionDefinitions(executor)) {
    if (def.blueprint && !blueprints.has(def.blueprint)) {
      out.skipped.push(def.identifier);
      continue;
    }
    try {
      await actions.create(principal, async () => def, 'demo');
      out.created.push(def.identifier);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      if (options.refresh) {
        await actions.replace(principal, def.identifier, async () => def, 'demo');
        out.replaced.push(def.identifier);
      } else out.existing.push(def.identifier);
    }
  }
  return out;
}

/** Where the demo executor listens, from the environment (`DEMO_EXECUTOR_PORT`, default 4100). */
export function demoExecutorSettings(env: NodeJS.ProcessEnv): { port: number; egressAllow: string } {
  const port = Number(env.DEMO_EXECUTOR_PORT ?? 4100);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError(`DEMO_EXECUTOR_PORT "${env.DEMO_EXECUTOR_PORT}" is not a port number (1-65535)`);
  return { port, egressAllow: `127.0.0.1:${port}` };
}

/**
 * The executor's webhook secret and API token (a member token named `demo-executor`), kept in
 * `<dataDir>/demo-executor.json` (mode 0600) so restarts reuse them; a token the store no longer
 * knows (a new database) is replaced. `fresh`: the secret was generated now.
 */
export async function ensureDemoExecutorCredentials(
  tokens: TokenStore,
  dataDir: string,
): Promise<{ secret: string; apiToken: string; fresh: boolean }> {
  const file = join(dataDir, 'demo-executor.json');
  let saved: { secret?: string; apiToken?: string } = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      saved = {};
    }
  }
  const fresh = !(typeof saved.secret === 'string' && saved.secret.length >= 32);
  const secret = fresh ? randomBytes(32).toString('hex') : (saved.secret as string);
  let apiToken = typeof saved.apiToken === 'string' ? saved.apiToken : '';
  if (!apiToken || !(await tokens.verify(apiToken))) {
    apiToken = (await tokens.create({ name: 'demo-executor', role: 'member' }, { actor: 'demo', source: 'demo' })).token;
  }
  if (saved.secret !== secret || saved.apiToken !== apiToken) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ secret, apiToken }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { secret, apiToken, fresh };
}

/**
 * Starts the demo executor as its own process (node with tsx, examples/demo-executor/main.ts),
 * its output forwarded to `logger`; it stops with this process.
 */
export function spawnDemoExecutor(options: {
  port: number;
  secret: string;
  apiToken: string;
  plexusUrl: string;
  logger: Logger;
  stepDelayMs?: number;
}): { hookUrl: string; child: ChildProcess; stop(): void } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'examples', 'demo-executor', 'main.ts')],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DEMO_EXECUTOR_PORT: String(options.port),
        DEMO_EXECUTOR_HOST: '127.0.0.1',
        DEMO_EXECUTOR_SECRET: options.secret,
        DEMO_EXECUTOR_API_TOKEN: options.apiToken,
        PLEXUS_URL: options.plexusUrl,
        ...(options.stepDelayMs !== undefined
          ? { DEMO_EXECUTOR_STEP_DELAY_MS: String(options.stepDelayMs) }
          : {}),
      },
    },
  );
  const forward = (stream: NodeJS.ReadableStream | null, warn: boolean) => {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter(Boolean))
        options.logger[warn ? 'warn' : 'info'](line, { component: 'demo-executor' });
    });
  };
  forward(child.stdout, false);
  forward(child.stderr, true);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      options.logger.warn('the demo executor stopped', { code, signal });
  });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', stop);
  return { hookUrl: `http://127.0.0.1:${options.port}/hooks/plexus`, child, stop };
}

/**
 * Everything the demo's actions need at start-up: the executor's credentials, its process, and the
 * starter actions pointing at it. Returns what to stop on shutdown.
 */
export async function startDemoActions(
  services: {
    actions: Pick<ActionsService, 'create' | 'replace'>;
    tokens: TokenStore;
    models: { current(): ReadonlyMap<string, unknown> };
    logger: Logger;
  },
  options: { dataDir: string; plexusUrl: string; env?: NodeJS.ProcessEnv },
): Promise<{ hookUrl: string; stop(): void }> {
  const { port } = demoExecutorSettings(options.env ?? process.env);
  const creds = await ensureDemoExecutorCredentials(services.tokens, options.dataDir);
  const executor = spawnDemoExecutor({
    port,
    secret: creds.secret,
    apiToken: creds.apiToken,
    plexusUrl: options.plexusUrl,
    logger: services.logger,
  });
  const loaded = await loadDemoActions(
    services.actions,
    demoPrincipal,
    { hookUrl: executor.hookUrl, secret: creds.secret },
    { blueprints: services.models.current().keys(), refresh: creds.fresh },
  );
  services.logger.info('demo actions ready', { hookUrl: executor.hookUrl, ...loaded });
  return { hookUrl: executor.hookUrl, stop: executor.stop };
}
