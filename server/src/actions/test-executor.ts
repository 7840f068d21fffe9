import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { verifyTimestampedSignature } from '@plexus/connector-sdk';
import { vi } from 'vitest';
import type { ActionsConfig } from '../config.ts';
import { startTestPlexus, type TestPlexus } from '../test-support.ts';

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
  /** The JSON body of the answer (default `{accepted}`). */
  answer?: () => unknown;
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
        .end(JSON.stringify(options.answer?.() ?? { accepted: status < 300 }));
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

export { waitFor } from '@plexus/connector-sdk/testing';

/** Reads Server-Sent Events from a streaming response, one parsed event at a time. */
export function readEvents(res: Response): {
  next(timeoutMs?: number): Promise<{ id: string; event: string; data: any } | null>;
  comments: string[];
  cancel(): Promise<void>;
} {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const comments: string[] = [];
  return {
    comments,
    async next(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const i = line.indexOf(':');
              if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, '');
            }
          }
          if (fields.data === undefined) continue;
          return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) };
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no event within the deadline');
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no event within the deadline')), left);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) return null;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** One JSON call over real HTTP, as an outside client makes it: the answer's status and parsed body (text when not JSON). */
export async function callJson(
  url: string,
  method: string,
  body?: unknown,
  token?: string | null,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed };
}

/**
 * A test Plexus served over HTTP on 127.0.0.1 (executors call it back at `baseUrl`), with its own
 * secrets key; `api` calls it with the admin token unless told otherwise.
 */
export async function startServedPlexus(actions: Partial<ActionsConfig> = {}): Promise<{
  px: TestPlexus;
  baseUrl: string;
  api(
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}> {
  let fetchApp: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const { server, baseUrl } = await new Promise<{ server: Server; baseUrl: string }>((ok) => {
    const s = serve({ fetch: (req) => fetchApp(req), hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      ok({ server: s as Server, baseUrl: `http://127.0.0.1:${info.port}` }),
    );
  });
  const px = await startTestPlexus({
    actions: {
      publicUrl: baseUrl,
      secretsKey: randomBytes(32).toString('base64'),
      maxLogLineBytes: 8192,
      maxLogLines: 10_000,
      timeoutCheckMs: 0,
      heartbeatMs: 15_000,
      ...actions,
    } as ActionsConfig,
  });
  fetchApp = px.app.fetch;
  return {
    px,
    baseUrl,
    api: (method, path, body, token = px.adminToken) => callJson(`${baseUrl}${path}`, method, body, token),
    async close() {
      await px.close();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}
