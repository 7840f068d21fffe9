import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyTimestampedSignature } from '../../../connectors/sdk/index.ts';

/** One delivery the test executor received. */
export interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
  body: any;
  verified: boolean;
}

/**
 * A real executor for tests, on 127.0.0.1: records every delivery, verifies its signature with
 * `verifyTimestampedSignature`, and runs `onRun` (after answering 202, as a real engine would).
 */
export async function startTestExecutor(options: {
  secret: string;
  onRun?: (body: any, received: Received) => Promise<void> | void;
  status?: () => number;
}): Promise<{ url: string; received: Received[]; errors: unknown[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const errors: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = verifyTimestampedSignature({
        secret: options.secret,
        rawBody: raw,
        signature: req.headers['x-plexus-signature'] as string | undefined,
        timestamp: req.headers['x-plexus-timestamp'] as string | undefined,
      });
      let body: unknown = null;
      try {
        body = JSON.parse(raw);
      } catch {}
      const r: Received = { headers: req.headers, raw, body, verified };
      received.push(r);
      const status = options.status?.() ?? (verified ? 202 : 401);
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: status < 300 }));
      if (status < 300 && verified && options.onRun && req.headers['x-plexus-event'] === 'run.requested') {
        Promise.resolve()
          .then(() => options.onRun?.(body, r))
          .catch((err) => errors.push(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/plexus`,
    received,
    errors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
