/**
 * The demo executor: a small engine that runs Plexus's starter actions the way a real one would.
 *
 * It receives the signed webhook (`POST /hooks/plexus`), verifies `x-plexus-signature` over
 * `"<x-plexus-timestamp>.<raw body>"` and refuses a bad or old (more than 5 minutes) signature with
 * 401, answers 202 at once, then works in the background: it reports a status label, log lines
 * and a summary with the run's token (`PATCH /runs/{run}`, `POST /runs/{run}/logs`), writes the
 * catalog with ITS OWN API token adding `?runId=<run>` (so the entities become the run's affected
 * entities), and ends the run with `terminationStatus`. A run id it has already taken is answered
 * 200 "duplicate" and not run twice (deliveries are retried on 5xx and timeouts). A signed
 * `{"event": "run.cancelled", "run": {"id"}}` stops that run's work before its next step.
 *
 * What each starter action does is in `handlers.ts`; an action it does not know is acknowledged
 * with its inputs logged and ends SUCCESS, so a new action pointed here still completes.
 *
 * @example
 * const executor = await startDemoExecutor({ port: 0, secret, apiToken, plexusUrl: 'http://127.0.0.1:4000' });
 * // action.invoker = { type: 'webhook', url: executor.hookUrl, secret }
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyTimestampedSignature } from '@plexus/connector-sdk';
import { handlers, type StepContext, unknownAction } from './handlers.ts';
import { createPlexusClient, type ExecutorPayload } from './plexus-client.ts';

/** Options of {@link startDemoExecutor}. */
export interface DemoExecutorOptions {
  /** 0 picks a free port. Default 4100. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The webhook invoker's secret (HMAC key). */
  secret: string;
  /** An API token allowed to write the entities the actions change (a member or admin token). */
  apiToken: string;
  /** Plexus's root URL, e.g. http://127.0.0.1:4000. */
  plexusUrl: string;
  /** Pause between steps, so progress shows in the UI. Default 300 ms; tests use 0. */
  stepDelayMs?: number;
  /** Largest webhook body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Where the executor's own log lines go. Default stdout. */
  log?: (line: string) => void;
}

/** A running demo executor. */
export interface DemoExecutor {
  /** `http://host:port` */
  url: string;
  /** Where the webhook invoker should POST: `${url}/hooks/plexus`. */
  hookUrl: string;
  /** `logLines`: log lines Plexus acknowledged (2xx), to check none went missing. */
  stats: {
    accepted: number;
    refused: number;
    duplicates: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    logLines: number;
  };
  /** Resolves when every run taken so far has been reported to its end. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}
class RunCancelled extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function isPayload(v: unknown): v is ExecutorPayload {
  const p = v as ExecutorPayload;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.run?.id === 'string' &&
    typeof p.run?.token === 'string' &&
    typeof p.action?.identifier === 'string' &&
    typeof p.inputs === 'object' &&
    p.inputs !== null
  );
}

/** Starts the demo executor's HTTP server. */
export async function startDemoExecutor(options: DemoExecutorOptions): Promise<DemoExecutor> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stepDelayMs = options.stepDelayMs ?? 300;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const stats = {
    accepted: 0,
    refused: 0,
    duplicates: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    logLines: 0,
  };
  const taken = new Set<string>();
  /** Runs Plexus said were cancelled (`{"event": "run.cancelled"}`). */
  const cancelled = new Set<string>();
  const inFlight = new Set<Promise<void>>();

  async function execute(payload: ExecutorPayload): Promise<void> {
    const client = createPlexusClient({ payload, plexusUrl: options.plexusUrl, apiToken: options.apiToken });
    const plexus: typeof client = {
      ...client,
      async log(message, terminationStatus) {
        await client.log(message, terminationStatus);
        stats.logLines++;
      },
    };
    const handler = handlers[payload.action.identifier] ?? unknownAction;
    const ctx: StepContext = {
      payload,
      plexus,
      async step(label, message) {
        if (cancelled.has(payload.run.id)) throw new RunCancelled();
        await plexus.report({ statusLabel: label });
        if (message) await plexus.log(message);
        if (stepDelayMs > 0) await new Promise((r) => setTimeout(r, stepDelayMs));
      },
    };
    try {
      await plexus.report({ statusLabel: 'Starting' });
      await plexus.log(
        `Demo executor took run ${payload.run.id}: ${payload.action.title} (${payload.action.identifier})`,
      );
      const summary = await handler(ctx);
      await plexus.report({ statusLabel: 'Done', summary });
      await plexus.log(summary, 'SUCCESS');
      stats.succeeded++;
      log(`run ${payload.run.id} (${payload.action.identifier}) succeeded`);
    } catch (err) {
      if (err instanceof RunCancelled || cancelled.has(payload.run.id)) {
        stats.cancelled++;
        log(`run ${payload.run.id} (${payload.action.identifier}) stopped: cancelled`);
        return;
      }
      stats.failed++;
      const message = (err as Error).message;
      log(`run ${payload.run.id} (${payload.action.identifier}) failed: ${message}`);
      try {
        await plexus.report({ statusLabel: 'Failed', summary: message.slice(0, 500) });
        await plexus.log(`Failed: ${message}`, 'FAILURE');
      } catch (reportErr) {
        log(`run ${payload.run.id}: could not report the failure: ${(reportErr as Error).message}`);
      }
    }
  }

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true, ...stats });
      if (path !== '/hooks/plexus') return send(res, 404, { error: 'not found: POST /hooks/plexus' });
      if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
      const raw = await readBody(req, maxBodyBytes);
      const signature = req.headers['x-plexus-signature'];
      const timestamp = req.headers['x-plexus-timestamp'];
      const ok = verifyTimestampedSignature({
        signature: Array.isArray(signature) ? signature.join(',') : signature,
        timestamp: Array.isArray(timestamp) ? timestamp[0] : timestamp,
        secret: options.secret,
        rawBody: raw,
      });
      if (!ok) {
        stats.refused++;
        log('refused a delivery: bad or expired signature');
        return send(res, 401, {
          error: 'invalid or expired signature (x-plexus-signature, x-plexus-timestamp)',
        });
      }
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        return send(res, 400, { error: 'the body is not JSON' });
      }
      const event = (payload as { event?: unknown })?.event;
      if (event === 'run.cancelled') {
        // Plexus already ended the run: stop its work at the next step, report nothing more.
        const id = String((payload as { run?: { id?: unknown } }).run?.id ?? '');
        cancelled.add(id);
        log(`run ${id} was cancelled`);
        return send(res, 200, { status: 'cancelled', run: id });
      }
      if (!isPayload(payload))
        return send(res, 400, {
          error: 'not a Plexus run payload: needs run.id, run.token, action.identifier, inputs',
        });
      if (taken.has(payload.run.id)) {
        stats.duplicates++;
        return send(res, 200, { status: 'duplicate', run: payload.run.id });
      }
      taken.add(payload.run.id);
      stats.accepted++;
      send(res, 202, { status: 'accepted', run: payload.run.id });
      const job = execute(payload);
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    } catch (err) {
      if (err instanceof BodyTooLarge)
        return send(res, 413, { error: `body larger than ${maxBodyBytes} bytes` });
      log(`request failed: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, { error: 'executor error' });
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4100, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    hookUrl: `${url}/hooks/plexus`,
    stats,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
