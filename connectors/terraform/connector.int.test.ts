import { readFileSync } from 'node:fs';
import { type MappingDocument, readMappingDocument } from '@plexus/connector-sdk';
import { type FakeServer, runConnectorContract, type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { TerraformConfig } from './config.ts';
import { terraformConnector } from './connector.ts';
import { readState, startFakeStateBackend } from './fake-backend.ts';
import { cloudProvider, resourceCategory } from './mapping-functions.ts';
import type { StateResource } from './state.ts';

const shop = readState('shop.tfstate');
const auth = { username: 'terraform', password: 'tf-secret' };

// The resources the sdlc mapping keeps, the database first: removing it removes its entity.
const contractResources = shop.resources!.filter(
  (r: StateResource) => r.mode === 'managed' && resourceCategory(r.type) && cloudProvider(r.provider),
);

runConnectorContract<StateResource, TerraformConfig>({
  name: 'terraform',
  startPlexus,
  fixtures: contractResources,
  async prepare(plexus) {
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  },
  async create(state, { prefix }) {
    const server = await startFakeStateBackend({ base: shop, state, ...auth });
    // The state's name (the URL's last segment) starts every identifier.
    return {
      connector: terraformConnector,
      config: { url: `${server.url}/state/${prefix}`, ...auth },
      close: server.close,
    };
  },
});

describe('terraform connector end to end', () => {
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

  async function synced(config: Record<string, unknown>, mapping?: MappingDocument) {
    const id = uniqueId('tf-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'terraform',
      config,
      ...(mapping ? { mapping } : {}),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sources.push(id);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    return { id, run: (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body };
  }

  const entity = (blueprint: string, identifier: string) =>
    plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`);

  it('loads a state file: every cloud resource instance with its module, provider, type and attributes', async () => {
    const workspace = uniqueId('shop-');
    const environment = uniqueId('prod-');
    const { run } = await synced({
      paths: [new URL('./__fixtures__/states/shop.tfstate', import.meta.url).pathname],
      workspace,
      environment,
    });
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
    expect(run.records).toBe(17);
    expect(run.created).toBe(11);
    const db = await entity('cloudResource', `${workspace}/module.data.aws_db_instance.orders`);
    expect(db.body).toMatchObject({
      title: 'module.data.aws_db_instance.orders',
      properties: { type: 'database', provider: 'aws', region: 'eu-west-1', encrypted: true },
      relations: { environment },
    });
    expect(db.body.properties.labels['terraform.io/module']).toBe('module.data');
  });

  it('turns dependencies into relations when the blueprint has a dependsOn relation', async () => {
    // sdlc's cloudResource has no relation to itself: a copy of it with one, for this test.
    const sdlc = parseYaml(readFileSync(new URL('../../packs/sdlc.yaml', import.meta.url), 'utf8'));
    const cloudResource = sdlc.blueprints.find(
      (b: { identifier: string }) => b.identifier === 'cloudResource',
    );
    const blueprint = uniqueId('tfres');
    const bp = await plexus.call('POST', '/api/v1/blueprints', {
      identifier: blueprint,
      title: 'Cloud resource (with dependencies)',
      schema: cloudResource.schema,
      relations: { dependsOn: { title: 'Depends on', target: blueprint, many: true, inverse: 'dependents' } },
    });
    expect(bp.status, JSON.stringify(bp.body)).toBe(201);
    const mapping = readMappingDocument(terraformConnector.defaultMapping as URL);
    const entry = mapping.mappings[0];
    entry.blueprint = blueprint;
    entry.relations = { dependsOn: '$mappedDependencies(dependsOn, state.name)' };
    const workspace = uniqueId('deps-');
    const server = await startFakeStateBackend({
      base: shop,
      state: { items: shop.resources!, failure: 'none' },
      ...auth,
    });
    servers.push(server);
    const { run } = await synced({ url: `${server.url}/state/${workspace}`, ...auth }, mapping);
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
    const lambda = await entity(blueprint, `${workspace}/aws_lambda_function.thumbnailer`);
    expect(lambda.body.relations.dependsOn.sort()).toEqual([
      `${workspace}/aws_s3_bucket.assets`,
      `${workspace}/aws_sqs_queue.orders["created"]`,
      `${workspace}/aws_sqs_queue.orders["paid"]`,
    ]);
    const impact = await plexus.call(
      'GET',
      `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${workspace}/aws_sns_topic.events`)}/impact?direction=downstream&depth=3`,
    );
    expect(impact.body.nodes.map((n: { identifier: string }) => n.identifier).sort()).toEqual([
      `${workspace}/aws_lambda_function.thumbnailer`,
      `${workspace}/aws_sqs_queue.orders["created"]`,
      `${workspace}/aws_sqs_queue.orders["paid"]`,
    ]);
  });

  it('never returns the backend password or headers', async () => {
    const server = await startFakeStateBackend({
      base: shop,
      state: { items: [], failure: 'none' },
      ...auth,
    });
    servers.push(server);
    const { id } = await synced({
      url: `${server.url}/state/${uniqueId('x')}`,
      ...auth,
      headers: { 'x-token': 'hdr-secret' },
    });
    const got = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(got.body.secretsSet.sort()).toEqual(['headers', 'password']);
    expect(JSON.stringify(got.body)).not.toContain('tf-secret');
    expect(JSON.stringify(got.body)).not.toContain('hdr-secret');
  });
});
