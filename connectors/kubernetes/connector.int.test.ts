import { type FakeServer, runConnectorContract, type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from './client.ts';
import type { KubernetesConfig } from './config.ts';
import { kubernetesConnector } from './connector.ts';
import { loadKubernetesFixtures, startFakeKubernetes } from './fake-kubernetes.ts';

const token = 'k8s-test-token';

const kubeconfigFor = (server: string) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'prod-eu', cluster: { server } }],
    users: [{ name: 'plexus-reader', user: { token } }],
    contexts: [{ name: 'prod-eu', context: { cluster: 'prod-eu', user: 'plexus-reader' } }],
    'current-context': 'prod-eu',
  });

// Every recorded object that gives an entity (coredns has no service label, a ClusterIP service
// is no cloud resource); workloads first, so removing the first record removes its deployment.
const contractObjects = loadKubernetesFixtures()
  .filter(
    (o) => o.metadata?.name !== 'coredns' && !(o.kind === 'Service' && (o.spec as any)?.type === 'ClusterIP'),
  )
  .sort(
    (a, b) =>
      Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace') || (a.kind === 'Deployment' ? -1 : 0),
  );

runConnectorContract<KubeObject, KubernetesConfig>({
  name: 'kubernetes',
  startPlexus,
  fixtures: contractObjects,
  async prepare(plexus) {
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  },
  async create(state, { prefix }) {
    const server = await startFakeKubernetes({ state, token });
    // The cluster and environment names are in every identifier, so the prefix goes there.
    return {
      connector: kubernetesConnector,
      config: {
        kubeconfig: kubeconfigFor(server.url),
        cluster: `${prefix}-prod-eu`,
        environment: `${prefix}-production`,
        provider: 'aws',
        pageSize: 1,
      },
      close: server.close,
    };
  },
});

describe('kubernetes connector end to end', () => {
  let plexus: PlexusUnderTest;
  const servers: FakeServer[] = [];
  const sources: string[] = [];

  beforeAll(async () => {
    plexus = await startPlexus();
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  });
  afterAll(async () => {
    for (const id of sources) await plexus.call('DELETE', `/api/v1/sources/${id}?purge=true`).catch(() => {});
    for (const s of servers) await s.close();
    await plexus.close();
  });

  async function synced(config: Record<string, unknown>) {
    const id = uniqueId('k8s-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'kubernetes',
      config,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sources.push(id);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    return { id, run: (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body };
  }

  const entity = (blueprint: string, identifier: string) =>
    plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`);

  it('links the workloads of a cluster to the catalog services their labels name', async () => {
    const prefix = uniqueId('k');
    // The cart Deployment names its catalog service in app.kubernetes.io/name; this test's own.
    const service = `${prefix}-cart-service`;
    const items = loadKubernetesFixtures();
    const cart = items.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'cart')!;
    cart.metadata!.labels = { ...cart.metadata!.labels, 'app.kubernetes.io/name': service };
    const server = await startFakeKubernetes({ state: { items, failure: 'none' }, token });
    servers.push(server);
    const svc = await plexus.call('POST', '/api/v1/blueprints/service/entities', {
      identifier: service,
      properties: { language: 'typescript', lifecycle: 'production', tier: 1 },
    });
    expect(svc.status, JSON.stringify(svc.body)).toBe(201);
    const { run } = await synced({
      kubeconfig: kubeconfigFor(server.url),
      cluster: `${prefix}-eks`,
      environment: `${prefix}-production`,
      provider: 'aws',
    });
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
    expect(run.created).toBe(10);
    const impact = await plexus.call(
      'GET',
      `/api/v1/blueprints/service/entities/${service}/impact?direction=downstream&relations=deploys&depth=1`,
    );
    expect(impact.status, JSON.stringify(impact.body)).toBe(200);
    expect(impact.body.nodes.map((n: { identifier: string }) => n.identifier)).toContain(
      `${prefix}-eks/shop/deployment/cart`,
    );
    expect((await entity('cloudResource', `${prefix}-eks`)).body).toMatchObject({
      properties: { type: 'cluster', provider: 'aws' },
      relations: { environment: `${prefix}-production` },
    });
    expect((await entity('environment', `${prefix}-production`)).body.properties).toMatchObject({
      type: 'production',
      isProduction: true,
    });
    await plexus.call('DELETE', `/api/v1/blueprints/service/entities/${service}`);
  });

  it('reads kubectl dumps into the same entities an API read gives', async () => {
    const prefix = uniqueId('k');
    const { run } = await synced({
      dumps: [new URL('./__fixtures__/dumps/', import.meta.url).pathname],
      cluster: `${prefix}-staging`,
    });
    expect(run.status, run.message).toBe('succeeded');
    expect(
      (await entity('deployment', `${prefix}-staging/payments/deployment/payments-api`)).body,
    ).toMatchObject({
      properties: { version: '3.1.0', status: 'succeeded' },
      relations: { deploys: 'payments-api', environment: 'payments' },
    });
  });

  it('never returns the kubeconfig', async () => {
    const server = await startFakeKubernetes({ state: { items: [], failure: 'none' }, token });
    servers.push(server);
    const { id } = await synced({ kubeconfig: kubeconfigFor(server.url), cluster: uniqueId('k') });
    const got = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(got.body.secretsSet).toEqual(['kubeconfig']);
    expect(JSON.stringify(got.body)).not.toContain(token);
  });
});
