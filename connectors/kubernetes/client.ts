/**
 * Talking to a Kubernetes API server: finding the server and credentials (a kubeconfig, or the
 * in-cluster service account), and listing resources with `limit`/`continue` pagination.
 * Objects come back as the API serves them, with the `kind` and `apiVersion` that list items
 * leave out put back, so API reads and `kubectl get -o json` dumps give the same records.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConnectorContext, HttpClient, TlsIdentity } from '@plexus/connector-sdk';
import { parse as parseYaml } from 'yaml';
import type { KubernetesConfig, KubernetesResource } from './config.ts';

/** The in-cluster service account's folder: fixed by Kubernetes, so readable without a file root. */
export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A Kubernetes object; the connector reads its kind and metadata, the mapping the rest. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [field: string]: unknown;
}

/** How each resource is listed. */
export const resourceApis: Record<
  KubernetesResource,
  { root: string; plural: string; kind: string; apiVersion: string; namespaced: boolean }
> = {
  namespaces: {
    root: '/api/v1',
    plural: 'namespaces',
    kind: 'Namespace',
    apiVersion: 'v1',
    namespaced: false,
  },
  deployments: {
    root: '/apis/apps/v1',
    plural: 'deployments',
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespaced: true,
  },
  statefulsets: {
    root: '/apis/apps/v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    namespaced: true,
  },
  daemonsets: {
    root: '/apis/apps/v1',
    plural: 'daemonsets',
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    namespaced: true,
  },
  cronjobs: {
    root: '/apis/batch/v1',
    plural: 'cronjobs',
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    namespaced: true,
  },
  services: { root: '/api/v1', plural: 'services', kind: 'Service', apiVersion: 'v1', namespaced: true },
  ingresses: {
    root: '/apis/networking.k8s.io/v1',
    plural: 'ingresses',
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    namespaced: true,
  },
};

/** Where and how to reach the API server. */
export interface ApiConnection {
  server: string;
  /** The cluster's name from the kubeconfig (`in-cluster` for a service account). */
  cluster: string;
  headers: Record<string, string>;
  tls?: TlsIdentity;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** Reads the in-cluster service account: a fresh token each call, since bound tokens rotate. */
async function inClusterConnection(config: KubernetesConfig, ctx: ConnectorContext): Promise<ApiConnection> {
  const dir = config.serviceAccountDir;
  // Another folder than Kubernetes' own must be inside the allowed file roots like any path.
  const files =
    resolve(dir) === defaultServiceAccountDir
      ? ctx.files.scope([], { baseDir: ctx.baseDir, trusted: [dir] })
      : ctx.files.scope([dir], { baseDir: ctx.baseDir });
  const token = (await files.readText(`${dir}/token`)).trim();
  const ca = await files.readText(`${dir}/ca.crt`).catch(() => undefined);
  let server = config.server;
  if (!server) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host)
      throw new Error(
        'inCluster needs KUBERNETES_SERVICE_HOST (set in pods), or server in the source config',
      );
    server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
  return { server, cluster: 'in-cluster', headers: { authorization: `Bearer ${token}` }, tls: { ca } };
}

/** Reads a kubeconfig (file or text) and picks the context's cluster and user. */
async function kubeconfigConnection(config: KubernetesConfig, ctx: ConnectorContext): Promise<ApiConnection> {
  const raw = config.kubeconfig!;
  const inline = /\n/.test(raw) || /^\s*[{]/.test(raw);
  const file = inline ? undefined : isAbsolute(raw) ? raw : resolve(ctx.baseDir, raw);
  // The kubeconfig and the files it names (certificates, token files) must be inside the
  // server's allowed file roots.
  const files = ctx.files.scope(undefined, { baseDir: ctx.baseDir });
  const readFile = (path: string, _encoding: 'utf8') => files.readText(path);
  const text = file ? await readFile(file, 'utf8') : raw;
  // Relative paths in a kubeconfig are relative to the file.
  const near = (p: string) => (isAbsolute(p) ? p : resolve(file ? dirname(file) : ctx.baseDir, p));
  const doc = parseYaml(text) as {
    'current-context'?: string;
    contexts?: Named<{ cluster: string; user: string }>[];
    clusters?: Named<Record<string, any>>[];
    users?: Named<Record<string, any>>[];
  };
  const contextName = config.context ?? doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`the kubeconfig has no context "${contextName ?? ''}"`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`the kubeconfig has no cluster "${context.cluster}" with a server`);
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  if (user.exec || user['auth-provider'])
    throw new Error(
      `kubeconfig user "${context.user}" authenticates through an exec or auth-provider plugin, which Plexus does not run; give it a token or a client certificate`,
    );
  const pem = async (data: unknown, path: unknown) =>
    typeof data === 'string'
      ? b64(data)
      : typeof path === 'string'
        ? readFile(near(path), 'utf8')
        : undefined;
  const headers: Record<string, string> = {};
  const token =
    typeof user.token === 'string'
      ? user.token
      : typeof user.tokenFile === 'string'
        ? (await readFile(near(user.tokenFile), 'utf8')).trim()
        : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  else if (typeof user.username === 'string')
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  const tls: TlsIdentity = {
    ca: await pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: await pem(user['client-certificate-data'], user['client-certificate']),
    key: await pem(user['client-key-data'], user['client-key']),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
  };
  return { server: String(cluster.server).replace(/\/+$/, ''), cluster: context.cluster, headers, tls };
}

/** Finds the API server and credentials for a source. */
export function resolveConnection(config: KubernetesConfig, ctx: ConnectorContext): Promise<ApiConnection> {
  return config.inCluster ? inClusterConnection(config, ctx) : kubeconfigConnection(config, ctx);
}

/** An HTTP client for the connection: the SDK's, with a TLS-capable fetch when the connection needs one. */
export function apiClient(conn: ApiConnection, ctx: ConnectorContext): HttpClient {
  // Through the SDK's client, so the egress policy applies to the API server too.
  return ctx.http({ baseUrl: conn.server, headers: conn.headers, tls: conn.tls });
}

/**
 * Lists one resource (in every namespace, or in each of `namespaces`), page by page with
 * `limit` and `continue`.
 */
export async function* listResource(
  http: HttpClient,
  resource: KubernetesResource,
  namespaces: readonly string[],
  pageSize: number,
): AsyncIterable<KubeObject> {
  const api = resourceApis[resource];
  const typed = (o: KubeObject): KubeObject => ({ apiVersion: api.apiVersion, kind: api.kind, ...o });
  if (namespaces.length > 0 && !api.namespaced) {
    for (const ns of namespaces) {
      const res = await http.request<KubeObject>(
        'GET',
        `${api.root}/${api.plural}/${encodeURIComponent(ns)}`,
        {
          accept: (s) => (s >= 200 && s < 300) || s === 404,
        },
      );
      if (res.status !== 404) yield typed(res.body);
    }
    return;
  }
  const paths =
    namespaces.length > 0
      ? namespaces.map((ns) => `${api.root}/namespaces/${encodeURIComponent(ns)}/${api.plural}`)
      : [`${api.root}/${api.plural}`];
  for (const path of paths) {
    for await (const item of http.items<KubeObject>(path, {
      strategy: 'cursor',
      cursorParam: 'continue',
      nextCursor: 'metadata.continue',
      items: 'items',
      query: { limit: pageSize },
    }))
      yield typed(item);
  }
}
