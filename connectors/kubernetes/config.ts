import { defineConfig, field, z } from '@plexus/connector-sdk';

/** The resources a Kubernetes source reads, by the plural of their API. */
export const kubernetesResources = [
  'namespaces',
  'deployments',
  'statefulsets',
  'daemonsets',
  'cronjobs',
  'services',
  'ingresses',
] as const;

/** One resource family. */
export type KubernetesResource = (typeof kubernetesResources)[number];

/**
 * Config of a `kubernetes` source: one cluster, read from its API server (a kubeconfig, or the
 * in-cluster service account) or from `kubectl get -o json` dumps.
 */
export const kubernetesConfig = defineConfig(
  {
    /**
     * A kubeconfig: the path of the file, or its YAML text. Write-only, as it usually holds a
     * token or a client key. Supported users: `token`, `tokenFile`, client certificates (files or
     * `-data`), `username`/`password`; `exec` and `auth-provider` plugins are not run.
     */
    kubeconfig: field.secret().optional(),
    /** The kubeconfig context to use; default its `current-context`. */
    context: field.string().optional(),
    /** Use the pod's service account (token and CA under `serviceAccountDir`, server from `KUBERNETES_SERVICE_HOST`). */
    inCluster: z.boolean().default(false),
    serviceAccountDir: field.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
    /** The API server, when in-cluster discovery should not decide it. */
    server: field.url().optional(),
    /** `kubectl get -o json` (or `-o yaml`) output: files, or folders of `.json`/`.yaml` files. */
    dumps: field.list(field.string()).default([]),
    /** The cluster's name in identifiers (`<cluster>/<namespace>/deployment/<name>`); default the kubeconfig cluster's name. */
    cluster: field.string().optional(),
    /** The environment the whole cluster is (e.g. `production`); default: each namespace is an environment. */
    environment: field.string().optional(),
    /** Only these namespaces; all by default. */
    namespaces: field.list(field.string()).default([]),
    /** The resources to read; all by default. */
    resources: field.list(z.enum(kubernetesResources)).default([...kubernetesResources]),
    /** Labels naming a workload's catalog service, the first present wins. */
    serviceLabels: field
      .list(field.string(), { min: 1 })
      .default(['app.kubernetes.io/name', 'app.kubernetes.io/part-of']),
    /** Where the cluster runs; the cluster and its load balancers become cloud resources only when it is known. */
    provider: z.enum(['aws', 'gcp', 'azure', 'onPremise']).optional(),
    /** `limit` of list calls (the API server pages with `continue` tokens). */
    pageSize: field.number({ integer: true, min: 1, max: 5000 }).default(500),
  },
  {
    check(c, issues) {
      const ways = [c.kubeconfig !== undefined, c.inCluster, c.dumps.length > 0].filter(Boolean).length;
      if (ways !== 1)
        issues.push({
          path: '/kubeconfig',
          message: 'give exactly one of kubeconfig (a file path or its YAML), inCluster: true, or dumps',
        });
    },
  },
);

/** The parsed config. */
export type KubernetesConfig = ReturnType<typeof kubernetesConfig.parse>;
