/**
 * A `fetch` over `node:https` with a TLS identity: the cluster's CA, a client certificate and
 * key (kubeconfig `client-certificate-data`), or no verification when the kubeconfig says
 * `insecure-skip-tls-verify`. The global fetch cannot take these without undici's Agent (not a
 * dependency here), and the SDK's HTTP client accepts any fetch, so rate limits, retries and
 * pagination stay the SDK's.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What a TLS connection to the API server needs (PEM text). */
export interface TlsIdentity {
  ca?: string;
  cert?: string;
  key?: string;
  /** false only when the kubeconfig asks to skip verification. */
  rejectUnauthorized?: boolean;
}

/**
 * Creates a fetch that connects with `tls`. Handles what the SDK's client uses: method, headers,
 * a string body, an abort signal, and a text response.
 * @example createHttpClient({ baseUrl: server }, { fetch: createTlsFetch({ ca, cert, key }), clock })
 */
export function createTlsFetch(tls: TlsIdentity): typeof fetch {
  return ((input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const options = {
        method: init.method ?? 'GET',
        headers,
        signal,
        ...(url.protocol === 'https:'
          ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true }
          : {}),
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) out.append(k, x);
            else if (v !== undefined) out.set(k, v);
          }
          const status = res.statusCode ?? 500;
          // A Response cannot carry a body with these statuses.
          const body = [204, 205, 304].includes(status) ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, statusText: res.statusMessage, headers: out }));
        });
      });
      req.on('error', reject);
      if (typeof init.body === 'string') req.write(init.body);
      req.end();
    })) as typeof fetch;
}
