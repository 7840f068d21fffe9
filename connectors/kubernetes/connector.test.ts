import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Clock,
  type ConnectorContext,
  compileMapping,
  createEgressPolicy,
  type FetchProblem,
  type MappedEntity,
  type RawRecord,
} from '@plexus/connector-sdk';
import { type FakeServer, testConnectorContext } from '@plexus/connector-sdk/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type KubernetesConfig, kubernetesConfig } from './config.ts';
import { kubernetesConnector } from './connector.ts';
import {
  type FakeKubernetesOptions,
  loadKubernetesFixtures,
  startFakeKubernetes,
} from './fake-kubernetes.ts';
import { imageTag, workloadStatus } from './mapping-functions.ts';

const servers: FakeServer[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'plexus-k8s-test-'));
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The fake servers listen on 127.0.0.1: allowed explicitly, as an operator would with PLEXUS_EGRESS_ALLOW.
const egress = createEgressPolicy({ allow: ['127.0.0.1'] });
const clock: Clock = { now: () => Date.now(), sleep: async () => {} };

function contextFor(problems: FetchProblem[] = [], baseDir = scratch): ConnectorContext {
  return testConnectorContext({ sourceId: 'kubernetes-test', clock, problems, egress, baseDir: baseDir });
}

async function fakeApi(overrides: Partial<FakeKubernetesOptions> = {}) {
  const server = await startFakeKubernetes({
    state: { items: loadKubernetesFixtures(), failure: 'none' },
    ...overrides,
  });
  servers.push(server);
  return server;
}

/** A kubeconfig for one cluster `prod-eu` and one user. */
function kubeconfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'prod-eu', cluster: { server, ...cluster } }],
    users: [{ name: 'plexus', user }],
    contexts: [{ name: 'plexus@prod-eu', context: { cluster: 'prod-eu', user: 'plexus' } }],
    'current-context': 'plexus@prod-eu',
  });
}

const configOf = (raw: Record<string, unknown>): KubernetesConfig => kubernetesConfig.parse(raw);

async function fetchAll(config: KubernetesConfig, problems: FetchProblem[] = []) {
  const records: RawRecord[] = [];
  for await (const r of kubernetesConnector.fetch!(config, contextFor(problems))) records.push(r);
  return records;
}

const mapping = compileMapping(kubernetesConnector.defaultMapping, {
  functions: kubernetesConnector.mappingFunctions,
});

async function mapAll(records: RawRecord[]) {
  const entities = new Map<string, MappedEntity>();
  const errors = [];
  for (const [i, r] of records.entries()) {
    const out = await mapping.apply(r, i);
    errors.push(...out.errors);
    for (const e of out.entities) entities.set(`${e.blueprint}:${e.identifier}`, e);
  }
  return { entities, errors };
}

describe('kubernetes connector, against a fake API server', () => {
  it('reads every resource with a kubeconfig token and maps it without errors', async () => {
    const server = await fakeApi();
    const config = configOf({
      kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }),
      environment: 'production',
      provider: 'aws',
    });
    const records = await fetchAll(config);
    expect(records).toHaveLength(13);
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer k8s-test-token')).toBe(true);
    const { entities, errors } = await mapAll(records);
    expect(errors).toEqual([]);
    expect([...entities.keys()].sort()).toEqual([
      'cloudResource:prod-eu',
      'cloudResource:prod-eu/shop/ingress/storefront',
      'cloudResource:prod-eu/shop/service/storefront-lb',
      'deployment:prod-eu/kube-system/daemonset/node-exporter',
      'deployment:prod-eu/search/deployment/search-api',
      'deployment:prod-eu/shop/cronjob/nightly-report',
      'deployment:prod-eu/shop/deployment/cart',
      'deployment:prod-eu/shop/deployment/checkout-worker',
      'deployment:prod-eu/shop/statefulset/cart-redis',
      'environment:production',
    ]);
  });

  it('maps a workload to the deployment of the service its labels name, with version, rollout status and replicas', async () => {
    const server = await fakeApi();
    const config = configOf({
      kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }),
      environment: 'production',
    });
    const { entities } = await mapAll(await fetchAll(config));
    expect(entities.get('deployment:prod-eu/shop/deployment/cart')).toEqual({
      blueprint: 'deployment',
      identifier: 'prod-eu/shop/deployment/cart',
      title: 'cart in shop',
      properties: { version: '2.4.1', status: 'succeeded', startedAt: '2025-05-01T10:09:30Z', replicas: 3 },
      relations: { deploys: 'cart-service', environment: 'production' },
    });
    const status = (id: string) => entities.get(`deployment:prod-eu/${id}`)?.properties.status;
    expect(status('shop/deployment/checkout-worker')).toBe('inProgress');
    expect(status('search/deployment/search-api')).toBe('failed');
    expect(status('shop/statefulset/cart-redis')).toBe('succeeded');
    expect(status('kube-system/daemonset/node-exporter')).toBe('succeeded');
    expect(status('shop/cronjob/nightly-report')).toBe('succeeded');
    expect(entities.get('deployment:prod-eu/search/deployment/search-api')?.properties.version).toMatch(
      /^sha256:9b2f/,
    );
    expect(entities.get('deployment:prod-eu/kube-system/daemonset/node-exporter')?.properties.replicas).toBe(
      3,
    );
  });

  it('takes the service from the first configured label that a workload has', async () => {
    const server = await fakeApi();
    const config = configOf({
      kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }),
      serviceLabels: ['app.kubernetes.io/part-of', 'app.kubernetes.io/name'],
    });
    const { entities } = await mapAll(await fetchAll(config));
    expect(entities.get('deployment:prod-eu/shop/deployment/cart')?.relations.deploys).toBe('shop');
  });

  it('without a cluster environment, each namespace is the environment of its workloads', async () => {
    const server = await fakeApi();
    const config = configOf({ kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }) });
    const { entities } = await mapAll(await fetchAll(config));
    expect(entities.get('deployment:prod-eu/shop/deployment/cart')?.relations.environment).toBe('shop');
    // Neither "shop" nor "search" says what kind of environment it is, and there is no provider.
    expect([...entities.keys()].filter((k) => !k.startsWith('deployment:'))).toEqual([]);
  });

  it('pages through lists with limit and continue', async () => {
    const server = await fakeApi();
    await fetchAll(
      configOf({ kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }), pageSize: 2 }),
    );
    const deployments = server.requests.filter((r) => r.path === '/apis/apps/v1/deployments');
    expect(deployments.map((r) => r.query.get('limit'))).toEqual(['2', '2']);
    expect(deployments[0].query.get('continue')).toBeNull();
    expect(deployments[1].query.get('continue')).toBeTruthy();
  });

  it('reads only the configured namespaces, through their namespaced paths', async () => {
    const server = await fakeApi();
    const records = await fetchAll(
      configOf({ kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }), namespaces: ['shop'] }),
    );
    expect(
      new Set(
        records.map((r) => (r.data as any).object.metadata.namespace ?? (r.data as any).object.metadata.name),
      ),
    ).toEqual(new Set(['shop']));
    expect(server.requests.map((r) => r.path)).toContain('/apis/apps/v1/namespaces/shop/deployments');
    expect(server.requests.map((r) => r.path)).toContain('/api/v1/namespaces/shop');
  });

  it('reads a kubeconfig file, with the token file it names relative to it', async () => {
    const server = await fakeApi();
    const dir = join(scratch, 'kube');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'k8s-test-token\n');
    writeFileSync(join(dir, 'config'), kubeconfig(server.url, { tokenFile: 'token' }));
    const records = await fetchAll(configOf({ kubeconfig: join(dir, 'config'), resources: ['namespaces'] }));
    expect(records).toHaveLength(3);
  });

  it('reads the token file of the client library spelling (token-file) relative to the kubeconfig too', async () => {
    const server = await fakeApi();
    const dir = join(scratch, 'kube-token-file');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'k8s-test-token\n');
    writeFileSync(join(dir, 'config'), kubeconfig(server.url, { 'token-file': 'token' }));
    const records = await fetchAll(configOf({ kubeconfig: join(dir, 'config'), resources: ['namespaces'] }));
    expect(records).toHaveLength(3);
  });

  it('refuses a token file outside the source’s file roots, before calling the server', async () => {
    const server = await fakeApi();
    const outside = mkdtempSync(join(tmpdir(), 'plexus-k8s-outside-'));
    try {
      writeFileSync(join(outside, 'token'), 'k8s-test-token');
      for (const field of ['tokenFile', 'token-file']) {
        const config = configOf({ kubeconfig: kubeconfig(server.url, { [field]: join(outside, 'token') }) });
        await expect(fetchAll(config)).rejects.toThrow(/refused .*outside the source's roots/);
      }
      expect(server.requests).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('names the contexts a kubeconfig has when the one asked for is missing', async () => {
    const config = configOf({
      kubeconfig: kubeconfig('https://127.0.0.1:1', { token: 't' }),
      context: 'staging',
    });
    await expect(fetchAll(config)).rejects.toThrow(
      'the kubeconfig has no context "staging" (it has: plexus@prod-eu); set context in the source config',
    );
  });

  it('says what is wrong with a kubeconfig that is not valid', async () => {
    const config = configOf({ kubeconfig: kubeconfig('', { token: 't' }) });
    await expect(fetchAll(config)).rejects.toThrow(
      'the kubeconfig is not a valid kubeconfig: clusters[0].cluster.server is missing',
    );
  });

  it('impersonates the kubeconfig user’s "as"', async () => {
    const server = await fakeApi();
    await fetchAll(
      configOf({
        kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token', as: 'catalog-reader' }),
        resources: ['namespaces'],
      }),
    );
    expect(server.requests.map((r) => r.headers['impersonate-user'])).toEqual(['catalog-reader']);
  });

  it('calls the API server through the egress policy, which refuses an address it does not allow', async () => {
    const server = await fakeApi();
    const config = configOf({ kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }) });
    const ctx = testConnectorContext({ clock, egress: createEgressPolicy(), baseDir: scratch });
    const read = async () => {
      for await (const _ of kubernetesConnector.fetch!(config, ctx));
    };
    await expect(read()).rejects.toThrow(/refused http:\/\/127\.0\.0\.1:\d+: it is a loopback address/);
    expect(server.requests).toEqual([]);
  });

  it('refuses kubeconfig users that need an exec plugin, saying what to use instead', async () => {
    const config = configOf({
      kubeconfig: kubeconfig('https://127.0.0.1:1', { exec: { command: 'aws', args: ['eks', 'get-token'] } }),
    });
    await expect(fetchAll(config)).rejects.toThrow(
      /exec or auth-provider plugin.*token or a client certificate/,
    );
  });

  it('uses the in-cluster service account token', async () => {
    const server = await fakeApi({ token: 'service-account-token' });
    const dir = join(scratch, 'serviceaccount');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'service-account-token');
    const records = await fetchAll(
      configOf({ inCluster: true, serviceAccountDir: dir, server: server.url, resources: ['deployments'] }),
    );
    expect(records).toHaveLength(4);
    expect((records[0].data as any).cluster).toBe('in-cluster');
  });

  it('reports an expired continue token as a part not read', async () => {
    const state = { items: loadKubernetesFixtures(), failure: 'midway' as const };
    const server = await fakeApi({ state });
    const problems: FetchProblem[] = [];
    await fetchAll(
      configOf({ kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }), pageSize: 1 }),
      problems,
    );
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].message).toMatch(/410/);
  });

  it('fails the read when the API server refuses the credentials', async () => {
    const server = await fakeApi();
    await expect(
      fetchAll(configOf({ kubeconfig: kubeconfig(server.url, { token: 'wrong' }) })),
    ).rejects.toThrow(/401/);
  });
});

describe('kubernetes connector over TLS with a client certificate', () => {
  const pki: Record<string, string> = {};

  beforeAll(() => {
    const dir = join(scratch, 'pki');
    mkdirSync(dir, { recursive: true });
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=test-cluster-ca',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    for (const [name, extra] of [
      ['server', ['-extfile', 'san.ext']],
      ['client', []],
    ] as const) {
      ssl(
        'req',
        ...ec,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=${name === 'client' ? 'plexus' : '127.0.0.1'}`,
      );
      ssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        ...extra,
      );
    }
    for (const f of ['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt'])
      pki[f] = readFileSync(join(dir, f), 'utf8');
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('verifies the API server with the cluster CA and authenticates with the client certificate', async () => {
    const server = await fakeApi({
      tls: { key: pki['server.key'], cert: pki['server.crt'], ca: pki['ca.crt'] },
    });
    expect(server.url).toMatch(/^https:/);
    const config = configOf({
      kubeconfig: kubeconfig(
        server.url,
        { 'client-certificate-data': b64(pki['client.crt']), 'client-key-data': b64(pki['client.key']) },
        { 'certificate-authority-data': b64(pki['ca.crt']) },
      ),
      resources: ['deployments'],
    });
    expect(await fetchAll(config)).toHaveLength(4);
    expect(server.requests[0].headers.authorization).toBeUndefined();
  });

  it('in a pod, finds the API server from KUBERNETES_SERVICE_HOST/PORT and verifies it with the service account CA', async () => {
    const server = await fakeApi({
      token: 'service-account-token',
      tls: { key: pki['server.key'], cert: pki['server.crt'], ca: pki['ca.crt'] },
    });
    const dir = join(scratch, 'serviceaccount-tls');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'service-account-token\n');
    writeFileSync(join(dir, 'ca.crt'), pki['ca.crt']);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = new URL(server.url).port;
    try {
      const records = await fetchAll(
        configOf({ inCluster: true, serviceAccountDir: dir, resources: ['deployments'] }),
      );
      expect(records).toHaveLength(4);
      expect(server.requests[0].headers.authorization).toBe('Bearer service-account-token');
    } finally {
      for (const [name, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });

  it('in a pod without the service variables, says what is missing', async () => {
    const dir = join(scratch, 'serviceaccount-bare');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), 'service-account-token');
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(fetchAll(configOf({ inCluster: true, serviceAccountDir: dir }))).rejects.toThrow(
        /inCluster needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT .*or server in the source config/,
      );
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });

  it('refuses a server whose certificate the cluster CA did not sign', async () => {
    const server = await fakeApi({
      tls: { key: pki['server.key'], cert: pki['server.crt'], ca: pki['ca.crt'] },
    });
    const config = configOf({
      kubeconfig: kubeconfig(server.url, { token: 'k8s-test-token' }),
      resources: ['deployments'],
    });
    await expect(fetchAll(config)).rejects.toThrow(/failed after/);
  });
});

describe('kubernetes connector, from kubectl dumps', () => {
  const dumps = new URL('./__fixtures__/dumps/', import.meta.url).pathname;

  it('reads kubectl List output and multi-document YAML from a folder', async () => {
    const records = await fetchAll(configOf({ dumps: [dumps], cluster: 'staging-eu' }));
    expect(records.map((r) => `${r.kind} ${(r.data as any).object.metadata.name}`)).toEqual([
      'Namespace payments',
      'Service payments-api',
      'Deployment payments-api',
    ]);
    const { entities } = await mapAll(records);
    expect(entities.get('deployment:staging-eu/payments/deployment/payments-api')).toMatchObject({
      properties: { version: '3.1.0', status: 'succeeded', replicas: 2 },
      relations: { deploys: 'payments-api', environment: 'payments' },
    });
  });

  it('reports a dump that does not parse and reads the others', async () => {
    const dir = join(scratch, 'dumps');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'broken.json'), '{"kind": "List", ');
    writeFileSync(join(dir, 'ok.yaml'), readFileSync(join(dumps, 'payments-namespace.yaml'), 'utf8'));
    const problems: FetchProblem[] = [];
    const records = await fetchAll(configOf({ dumps: [dir] }), problems);
    expect(records).toHaveLength(2);
    expect(problems).toHaveLength(1);
    expect(problems[0].origin).toMatch(/broken\.json$/);
  });

  it('fails when a dump path does not exist', async () => {
    await expect(fetchAll(configOf({ dumps: [join(scratch, 'nowhere')] }))).rejects.toThrow(/does not exist/);
  });
});

describe('kubernetes config and mapping functions', () => {
  it('needs exactly one of kubeconfig, inCluster and dumps', () => {
    expect(() => kubernetesConfig.parse({})).toThrow(/exactly one of kubeconfig/);
    expect(() => kubernetesConfig.parse({ inCluster: true, dumps: ['x'] })).toThrow(
      /exactly one of kubeconfig/,
    );
  });

  it('reads image tags and digests', () => {
    expect(['nginx', 'nginx:1.25', 'localhost:5000/a/b:v2', 'r.io/x@sha256:abc', ''].map(imageTag)).toEqual([
      'latest',
      '1.25',
      'v2',
      'sha256:abc',
      undefined,
    ]);
  });

  it('calls a CronJob that last ran without success failed, and one never scheduled pending', () => {
    const cron = (status: Record<string, unknown>) => workloadStatus({ kind: 'CronJob', status });
    expect(
      cron({ lastScheduleTime: '2025-05-02T00:30:00Z', lastSuccessfulTime: '2025-05-01T00:34:00Z' }),
    ).toBe('failed');
    expect(cron({})).toBe('pending');
    expect(cron({ active: [{ name: 'job-1' }], lastScheduleTime: '2025-05-02T00:30:00Z' })).toBe(
      'inProgress',
    );
  });
});
