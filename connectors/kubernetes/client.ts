/**
 * Talking to a Kubernetes API server: finding the server and credentials (a kubeconfig, or the
 * in-cluster service account), and listing resources with `limit`/`continue` pagination.
 * Objects come back as the API serves them, with the `kind` and `apiVersion` that list items
 * leave out put back, so API reads and `kubectl get -o json` dumps give the same records.
 *
 * `@kubernetes/client-node` parses the kubeconfig (its clusters, users and contexts, with its
 * checks and messages) and finds the in-cluster API server. Listing stays on the SDK's HTTP client,
 * because of what the library's own API clients do, seen with 1.4.0 on this repository's recorded
 * payloads:
 * - their transport is node-fetch with an `https.Agent` they build per request, from certificate,
 *   key and CA files they read with `fs`: outside both the egress policy (allowed hosts, no
 *   private addresses, redirects re-checked) and the file policy (the source's own roots);
 * - they refuse an `http://` server unless `insecure-skip-tls-verify` is set;
 * - they turn every list into generated model classes: timestamps become `Date` objects
 *   (`2024-02-01T09:00:00Z` comes back as `2024-02-01T09:00:00.000Z`) and a field the model does
 *   not know (one a newer API server adds) is dropped, so API records would no longer equal the
 *   objects of a kubectl dump, nor what the mapping reads.
 * The library is imported when a source first needs it: loading it takes about a second here,
 * which a server with no Kubernetes source should not pay at start-up.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConnectorContext, HttpClient, TlsIdentity } from '@plexus/connector-sdk';
import { parse as parseYaml } from 'yaml';
import type { KubernetesConfig, KubernetesResource } from './config.ts';

let clientNode: Promise<typeof import('@kubernetes/client-node')> | undefined;
/** A fresh `KubeConfig` of the library, loaded on first use. */
async function newKubeConfig(): Promise<KubeConfig> {
  clientNode ??= import('@kubernetes/client-node');
  return new (await clientNode).KubeConfig();
}

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
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT)
      throw new Error(
        'inCluster needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (Kubernetes sets both in every pod), or server in the source config',
      );
    // The library builds the URL from those variables (IPv6 in brackets, http on ports 80, 8080
    // and 8001). It also reads the pod's namespace from Kubernetes' own service account folder,
    // which is trusted; the token and CA are read above, through the file policy, from `dir`.
    const kc = await newKubeConfig();
    kc.loadFromCluster();
    server = kc.getCurrentCluster()!.server;
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
  const text = file ? await files.readText(file) : raw;
  const where = file ?? 'the kubeconfig';
  // Relative paths in a kubeconfig are relative to the file.
  const near = (p: string) => (isAbsolute(p) ? p : resolve(file ? dirname(file) : ctx.baseDir, p));

  const doc = parseYaml(text) as { users?: { name?: unknown; user?: Record<string, unknown> }[] } | null;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`${where} is not a kubeconfig (a YAML mapping with clusters, users and contexts)`);
  // Token files (kubectl's `tokenFile`, the library's `token-file`) are read here, through the
  // file policy; the library would read `token-file` itself, with fs, while parsing.
  const tokenFiles = new Map<unknown, string>();
  for (const entry of Array.isArray(doc.users) ? doc.users : []) {
    const user = entry?.user;
    if (!user || typeof user !== 'object') continue;
    const path = user.tokenFile ?? user['token-file'];
    if (typeof path === 'string') tokenFiles.set(entry.name, path);
    delete user.tokenFile;
    delete user['token-file'];
  }
  const kc = await newKubeConfig();
  try {
    kc.loadFromString(JSON.stringify(doc));
  } catch (err) {
    throw new Error(`${where} is not a valid kubeconfig: ${(err as Error).message}`);
  }

  const contextName = config.context ?? kc.getCurrentContext();
  const context = contextName ? kc.getContextObject(contextName) : null;
  if (!context)
    throw new Error(
      `the kubeconfig has no context "${contextName ?? ''}" (it has: ${kc
        .getContexts()
        .map((c) => c.name)
        .join(', ')}); set context in the source config`,
    );
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) throw new Error(`the kubeconfig has no cluster "${context.cluster}" with a server`);
  const user = context.user ? kc.getUser(context.user) : null;
  if (user?.exec || user?.authProvider)
    throw new Error(
      `kubeconfig user "${context.user}" authenticates through an exec or auth-provider plugin, which Plexus does not run; give it a token or a client certificate`,
    );
  if (cluster.proxyUrl)
    ctx.logger.warn('kubeconfig proxy-url is not used: Plexus connects to the API server directly', {
      cluster: cluster.name,
    });
  const pem = async (data: string | undefined, path: string | undefined) =>
    data ? b64(data) : path ? files.readText(near(path)) : undefined;
  const headers: Record<string, string> = {};
  const tokenFile = user ? tokenFiles.get(user.name) : undefined;
  const token = user?.token ?? (tokenFile ? (await files.readText(near(tokenFile))).trim() : undefined);
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user?.username)
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  if (user?.impersonateUser) headers['impersonate-user'] = user.impersonateUser;
  const tls: TlsIdentity = {
    ca: await pem(cluster.caData, cluster.caFile),
    cert: await pem(user?.certData ?? undefined, user?.certFile ?? undefined),
    key: await pem(user?.keyData ?? undefined, user?.keyFile ?? undefined),
    rejectUnauthorized: !cluster.skipTLSVerify,
  };
  return { server: cluster.server.replace(/\/+$/, ''), cluster: cluster.name, headers, tls };
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
