import { resolve } from 'node:path';
import { type Connector, type ConnectorContext, HttpError, type RawRecord } from '@plexus/connector-sdk';
import {
  apiClient,
  defaultServiceAccountDir,
  type KubeObject,
  listResource,
  resolveConnection,
  resourceApis,
} from './client.ts';
import { type KubernetesConfig, type KubernetesResource, kubernetesConfig } from './config.ts';
import { readDumps } from './dumps.ts';
import { kubernetesFunctions } from './mapping-functions.ts';

const kindToResource = new Map(
  Object.entries(resourceApis).map(([resource, api]) => [api.kind, resource as KubernetesResource]),
);

/**
 * The record of one object: the object as served, with what the mapping needs from the config
 * (a mapping sees only its record). `environment` is the cluster's when configured, else the
 * object's namespace (a Namespace's own name).
 */
export function objectRecord(
  object: KubeObject,
  cluster: string,
  config: KubernetesConfig,
  origin?: string,
): RawRecord {
  const namespace = object.kind === 'Namespace' ? object.metadata?.name : object.metadata?.namespace;
  return {
    kind: String(object.kind),
    data: {
      cluster,
      environment: config.environment ?? namespace,
      clusterEnvironment: config.environment,
      serviceLabels: config.serviceLabels,
      provider: config.provider,
      object,
    },
    ...(origin ? { origin } : {}),
  };
}

async function* fromApi(config: KubernetesConfig, ctx: ConnectorContext): AsyncIterable<RawRecord> {
  const conn = await resolveConnection(config, ctx);
  const http = apiClient(conn, ctx);
  const cluster = config.cluster ?? conn.cluster;
  for (const resource of config.resources) {
    const api = resourceApis[resource];
    try {
      for await (const object of listResource(http, resource, config.namespaces, config.pageSize))
        yield objectRecord(object, cluster, config, `${api.root}/${api.plural}`);
    } catch (err) {
      ctx.signal.throwIfAborted();
      // An unreachable server or bad credentials fail the source; anything else (RBAC forbidding
      // one resource, an expired continue token) is a part not read: partial, nothing deleted.
      if (err instanceof HttpError && (err.status === 401 || err.status === 0)) throw err;
      ctx.reportProblem({
        origin: `${api.root}/${api.plural}`,
        kind: api.kind,
        message: `${(err as Error).message}${err instanceof HttpError && err.status === 403 ? ` (leave "${resource}" out of resources if the source may not read it)` : ''}`,
      });
    }
  }
}

async function* fromDumps(config: KubernetesConfig, ctx: ConnectorContext): AsyncIterable<RawRecord> {
  const wanted = new Set(config.resources);
  const namespaces = new Set(config.namespaces);
  const cluster = config.cluster ?? 'default';
  for await (const { object, origin } of readDumps(config.dumps, ctx)) {
    const resource = kindToResource.get(String(object.kind));
    if (!resource || !wanted.has(resource)) continue;
    const ns = object.kind === 'Namespace' ? object.metadata?.name : object.metadata?.namespace;
    if (namespaces.size > 0 && !namespaces.has(String(ns))) continue;
    yield objectRecord(object, cluster, config, origin);
  }
}

/**
 * `kubernetes`: namespaces, deployments, statefulsets, daemonsets, cronjobs, services and
 * ingresses of one cluster, from its API server (kubeconfig or in-cluster service account) or from
 * `kubectl get -o json` dumps. Workloads link to catalog services through their labels.
 */
export const kubernetesConnector: Connector<KubernetesConfig> = {
  type: 'kubernetes',
  title: 'Kubernetes',
  description:
    'Namespaces, workloads, services and ingresses of a cluster, from its API server (kubeconfig or in-cluster) or kubectl JSON dumps; workloads linked to catalog services by app.kubernetes.io labels.',
  config: kubernetesConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  mappingFunctions: kubernetesFunctions,
  filePaths: (config) => [
    ...config.dumps.map((path, i) => ({ pointer: `/dumps/${i}`, path })),
    ...(config.kubeconfig !== undefined && !/\n/.test(config.kubeconfig) && !/^\s*[{]/.test(config.kubeconfig)
      ? [{ pointer: '/kubeconfig', path: config.kubeconfig }]
      : []),
    ...(config.inCluster && resolve(config.serviceAccountDir) !== defaultServiceAccountDir
      ? [{ pointer: '/serviceAccountDir', path: config.serviceAccountDir }]
      : []),
  ],
  fetch(config, ctx) {
    return config.dumps.length > 0 ? fromDumps(config, ctx) : fromApi(config, ctx);
  },
};
