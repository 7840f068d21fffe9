/**
 * Runs the demo executor as its own process (`npx tsx examples/demo-executor/main.ts`; `npm start`
 * starts it beside the server when the demo is on). Settings come from the environment:
 *
 * - `DEMO_EXECUTOR_SECRET` (required): the HMAC secret the demo actions' webhook invoker signs with.
 * - `DEMO_EXECUTOR_API_TOKEN` (required): a Plexus API token allowed to write the demo's entities.
 * - `PLEXUS_URL`: Plexus's root URL. Default http://127.0.0.1:4000.
 * - `DEMO_EXECUTOR_PORT` (default 4100) and `DEMO_EXECUTOR_HOST` (default 127.0.0.1).
 * - `DEMO_EXECUTOR_STEP_DELAY_MS`: pause between steps, so progress shows in the UI. Default 300.
 */
import { startDemoExecutor } from './executor.ts';

function fail(message: string): never {
  process.stderr.write(`demo executor: ${message}\n`);
  process.exit(2);
}

const env = process.env;
const secret =
  env.DEMO_EXECUTOR_SECRET ??
  fail("set DEMO_EXECUTOR_SECRET to the secret of the demo actions' webhook invoker");
const apiToken =
  env.DEMO_EXECUTOR_API_TOKEN ??
  fail('set DEMO_EXECUTOR_API_TOKEN to a Plexus API token that may write entities');
const port = Number(env.DEMO_EXECUTOR_PORT ?? 4100);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`DEMO_EXECUTOR_PORT "${env.DEMO_EXECUTOR_PORT}" is not a port number`);
const stepDelayMs = Number(env.DEMO_EXECUTOR_STEP_DELAY_MS ?? 300);
if (!Number.isFinite(stepDelayMs) || stepDelayMs < 0)
  fail('DEMO_EXECUTOR_STEP_DELAY_MS must be a number of milliseconds');

const executor = await startDemoExecutor({
  port,
  host: env.DEMO_EXECUTOR_HOST ?? '127.0.0.1',
  secret,
  apiToken,
  plexusUrl: env.PLEXUS_URL ?? 'http://127.0.0.1:4000',
  stepDelayMs,
  log: (line) =>
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), component: 'demo-executor', msg: line })}\n`,
    ),
});
process.stdout.write(
  `${JSON.stringify({ time: new Date().toISOString(), component: 'demo-executor', msg: 'listening', hookUrl: executor.hookUrl })}\n`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void executor.close().then(() => process.exit(0));
  });
