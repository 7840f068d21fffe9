/**
 * A tiny fake HTTP server for connector tests: real HTTP on 127.0.0.1 with a random port, routes
 * as a function, every request recorded. Fake servers speak the real API's documented shapes;
 * their payloads come from `__fixtures__/`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the handler sees it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the handler answers: JSON unless `body` is a string. */
export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A running fake server. */
export interface FakeServer {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/**
 * Starts a fake server.
 * @example const server = await startFakeServer((req) => ({ body: { items: [] } }));
 */
export async function startFakeServer(
  handle: (req: FakeRequest, server: FakeServer) => FakeResponse | Promise<FakeResponse>,
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const fake: FakeServer = { url: '', requests, close: async () => {} };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(request);
    try {
      const out = await handle(request, fake);
      const text =
        typeof out.body === 'string' ? out.body : out.body === undefined ? '' : JSON.stringify(out.body);
      res.writeHead(out.status ?? 200, {
        'content-type': typeof out.body === 'string' ? 'text/plain' : 'application/json',
        ...out.headers,
      });
      res.end(text);
    } catch (err) {
      res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`fake server handler failed: ${(err as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
