/**
 * A fake Kubernetes API server for tests: real HTTP (or HTTPS with client certificates) on
 * 127.0.0.1, serving the recorded objects of `__fixtures__/api/` as the API does — typed lists
 * (`kind: DeploymentList`, items without `kind`/`apiVersion`), cluster-wide and per-namespace
 * paths, `limit`/`continue` pagination, `Status` error bodies (401, 404, 410 Expired).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import { type KubeObject, resourceApis } from './client.ts';

/** Every recorded object, with its `kind` and `apiVersion` (as kubectl shows them). */
export function loadKubernetesFixtures(): KubeObject[] {
  const dir = new URL('./__fixtures__/api/', import.meta.url);
  const out: KubeObject[] = [];
  for (const file of readdirSync(dir).sort()) {
    const list = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as KubeObject & { items: KubeObject[] };
    const kind = String(list.kind).replace(/List$/, '');
    for (const item of list.items) out.push({ apiVersion: list.apiVersion, kind, ...item });
  }
  return out;
}

/** Options of {@link startFakeKubernetes}. */
export interface FakeKubernetesOptions {
  state: { items: KubeObject[]; failure: 'none' | 'at-start' | 'midway' };
  /** The bearer token it accepts; with `tls.requestCert`, a verified client certificate is accepted too. */
  token?: string;
  /** Serve HTTPS with this key and certificate; `ca` verifies client certificates. */
  tls?: { key: string; cert: string; ca?: string };
  intercept?: (req: FakeRequest) => FakeResponse | undefined;
}

const status = (code: number, reason: string, message: string): FakeResponse => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

/** The API's answer to one request. */
function handler(options: FakeKubernetesOptions) {
  const { state } = options;
  const token = options.token ?? 'k8s-test-token';
  const byPath = Object.values(resourceApis);
  return (req: FakeRequest, clientCertOk: boolean): FakeResponse => {
    const intercepted = options.intercept?.(req);
    if (intercepted) return intercepted;
    if (state.failure === 'at-start' || (!clientCertOk && req.headers.authorization !== `Bearer ${token}`))
      return status(401, 'Unauthorized', 'Unauthorized');
    for (const api of byPath) {
      if (!req.path.startsWith(`${api.root}/`)) continue;
      const rest = req.path.slice(api.root.length + 1).split('/');
      let namespace: string | undefined;
      let name: string | undefined;
      if (rest.length === 1 && rest[0] === api.plural) namespace = undefined;
      else if (api.namespaced && rest.length === 3 && rest[0] === 'namespaces' && rest[2] === api.plural)
        namespace = rest[1];
      else if (!api.namespaced && rest.length === 2 && rest[0] === api.plural) name = rest[1];
      else continue;
      const all = state.items.filter(
        (o) =>
          o.kind === api.kind &&
          (namespace === undefined || o.metadata?.namespace === namespace) &&
          (name === undefined || o.metadata?.name === name),
      );
      const strip = ({ kind: _k, apiVersion: _a, ...o }: KubeObject) => o;
      if (name !== undefined)
        return all[0]
          ? { body: { kind: api.kind, apiVersion: api.apiVersion, ...strip(all[0]) } }
          : status(404, 'NotFound', `${api.plural} "${name}" not found`);
      const cont = req.query.get('continue');
      if (cont && state.failure === 'midway')
        return status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      const offset = cont ? Number(JSON.parse(Buffer.from(cont, 'base64').toString()).start) : 0;
      const limit = Number(req.query.get('limit') ?? 0) || all.length;
      const items = all.slice(offset, offset + limit).map(strip);
      const more = offset + limit < all.length;
      return {
        body: {
          kind: `${api.kind}List`,
          apiVersion: api.apiVersion,
          metadata: {
            resourceVersion: '884900',
            ...(more
              ? {
                  continue: Buffer.from(
                    JSON.stringify({ v: 'meta.k8s.io/v1', rv: 884900, start: offset + limit }),
                  ).toString('base64'),
                  remainingItemCount: all.length - offset - limit,
                }
              : {}),
          },
          items,
        },
      };
    }
    return status(404, 'NotFound', 'the server could not find the requested resource');
  };
}

/** Starts the fake API server (HTTPS when `tls` is given). */
export async function startFakeKubernetes(options: FakeKubernetesOptions): Promise<FakeServer> {
  const handle = handler(options);
  if (!options.tls) return startFakeServer((req) => handle(req, false));
  const requests: FakeRequest[] = [];
  const server = createHttpsServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      ca: options.tls.ca,
      requestCert: true,
      rejectUnauthorized: false,
    },
    async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      // The API server accepts a client certificate signed by its client CA in place of a token.
      const socket = req.socket as import('node:tls').TLSSocket;
      const out = handle(request, socket.authorized === true);
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    },
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
