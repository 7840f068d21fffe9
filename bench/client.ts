/**
 * A small HTTP client for benchmarks, on node:http rather than fetch: one keep-alive
 * connection, and no client-side timeouts (undici's fetch gives up after 300 s waiting for
 * headers, which one large NDJSON load may take on a small machine).
 */
import { Agent, request } from 'node:http';

/** Calls one Plexus server with its admin token. */
export interface BenchClient {
  /** Sends a body as is (already serialised) and returns the parsed JSON answer; throws on non-2xx. */
  send(method: string, path: string, body?: string, contentType?: string): Promise<unknown>;
  /** POSTs a JSON value. */
  post(path: string, value: unknown): Promise<unknown>;
  /** POSTs a GraphQL query and returns `data`; throws when the answer has errors. */
  graphql(query: string, variables?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The bearer token it sends (to sign a browser in as the same caller). */
  token: string;
  close(): void;
}

/**
 * Creates a client for `url` (e.g. `http://127.0.0.1:4100`) sending `Bearer token`.
 * @example const api = createClient(plexus.url, plexus.token); await api.post('/api/v1/packs/sdlc', {})
 */
export function createClient(url: string, token: string): BenchClient {
  const base = new URL(url);
  // One socket: requests are sequential, as a loader or a user's clicks would be.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const client: BenchClient = {
    token,
    send(method, path, body, contentType = 'application/json') {
      return new Promise((ok, fail) => {
        const headers: Record<string, string | number> = {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
        };
        if (body !== undefined) {
          headers['content-type'] = contentType;
          headers['content-length'] = Buffer.byteLength(body);
        }
        const req = request({ host: base.hostname, port: base.port, path, method, headers, agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            if ((res.statusCode ?? 0) >= 300)
              return fail(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 2000)}`));
            try {
              ok(text ? JSON.parse(text) : null);
            } catch {
              fail(new Error(`${method} ${path}: answer is not JSON: ${text.slice(0, 200)}`));
            }
          });
        });
        req.on('error', fail);
        req.end(body);
      });
    },
    post: (path, value) => client.send('POST', path, JSON.stringify(value)),
    async graphql(query, variables) {
      const res = (await client.post('/graphql', { query, variables })) as {
        data?: Record<string, unknown>;
        errors?: { message: string }[];
      };
      if (res.errors?.length)
        throw new Error(`GraphQL errors: ${res.errors.map((e) => e.message).join('; ')}`);
      return res.data ?? {};
    },
    close: () => agent.destroy(),
  };
  return client;
}
