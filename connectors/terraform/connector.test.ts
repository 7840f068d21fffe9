import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type TerraformConfig, terraformConfig } from './config.ts';
import { terraformConnector } from './connector.ts';
import { readState, startFakeStateBackend } from './fake-backend.ts';
import { cloudProvider, mappedDependencies, resourceRegion } from './mapping-functions.ts';

const states = new URL('./__fixtures__/states/', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'plexus-tf-test-'));
const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The fake servers listen on 127.0.0.1: allowed explicitly, as an operator would with PLEXUS_EGRESS_ALLOW.
const egress = createEgressPolicy({ allow: ['127.0.0.1'] });
const clock: Clock = { now: () => Date.now(), sleep: async () => {} };

function contextFor(problems: FetchProblem[] = []): ConnectorContext {
  return testConnectorContext({ sourceId: 'terraform-test', clock, problems, egress, baseDir: scratch });
}

async function fetchAll(raw: Record<string, unknown>, problems: FetchProblem[] = []) {
  const config: TerraformConfig = terraformConfig.parse(raw);
  const records: RawRecord[] = [];
  for await (const r of terraformConnector.fetch!(config, contextFor(problems))) records.push(r);
  return records;
}

const mapping = compileMapping(terraformConnector.defaultMapping, {
  functions: terraformConnector.mappingFunctions,
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

const data = (r: RawRecord) => r.data as Record<string, any>;

describe('terraform connector, from state files', () => {
  it('gives one record per managed instance, addressed as Terraform addresses it (a state terraform 1.11 wrote)', async () => {
    const records = await fetchAll({ paths: [join(states, 'terraform-data.tfstate')] });
    expect(records.map((r) => data(r).address)).toEqual([
      'terraform_data.bucket',
      'terraform_data.worker["a"]',
      'terraform_data.worker["b"]',
      'module.queues.terraform_data.queue[0]',
      'module.queues.terraform_data.queue[1]',
    ]);
    expect(data(records[1]).dependsOn.map((d: { address: string }) => d.address)).toEqual([
      'module.queues.terraform_data.queue[0]',
      'module.queues.terraform_data.queue[1]',
      'terraform_data.bucket',
    ]);
    expect(data(records[3])).toMatchObject({
      state: { name: 'terraform-data', version: 4, terraform_version: '1.11.4', serial: 6 },
      resource: { module: 'module.queues', mode: 'managed', type: 'terraform_data', name: 'queue' },
      instance: { index_key: 0 },
    });
  });

  it('maps the instances of cloud resource types to cloud resources, without errors', async () => {
    const records = await fetchAll({ paths: [join(states, 'shop.tfstate')], workspace: 'shop-prod' });
    const { entities, errors } = await mapAll(records);
    expect(errors).toEqual([]);
    expect([...entities.keys()].sort()).toEqual([
      'cloudResource:shop-prod/aws_eks_cluster.main',
      'cloudResource:shop-prod/aws_lambda_function.thumbnailer',
      'cloudResource:shop-prod/aws_opensearch_domain.catalog',
      'cloudResource:shop-prod/aws_s3_bucket.assets',
      'cloudResource:shop-prod/aws_sns_topic.events',
      'cloudResource:shop-prod/aws_sqs_queue.orders["created"]',
      'cloudResource:shop-prod/aws_sqs_queue.orders["paid"]',
      'cloudResource:shop-prod/google_storage_bucket.exports',
      'cloudResource:shop-prod/module.data.aws_db_instance.orders',
      'cloudResource:shop-prod/module.data.aws_elasticache_replication_group.sessions',
      'cloudResource:shop-prod/module.network.aws_lb.public',
    ]);
  });

  it('keeps the module path, provider, type and selected attributes of an instance', async () => {
    const records = await fetchAll({
      paths: [join(states, 'shop.tfstate')],
      workspace: 'shop-prod',
      environment: 'production',
    });
    const { entities } = await mapAll(records);
    expect(entities.get('cloudResource:shop-prod/module.data.aws_db_instance.orders')).toEqual({
      blueprint: 'cloudResource',
      identifier: 'shop-prod/module.data.aws_db_instance.orders',
      title: 'module.data.aws_db_instance.orders',
      properties: {
        type: 'database',
        provider: 'aws',
        region: 'eu-west-1',
        resourceId: 'arn:aws:rds:eu-west-1:123456789012:db:orders',
        encrypted: true,
        labels: {
          team: 'payments',
          env: 'prod',
          Name: 'orders',
          managed_by: 'terraform',
          'terraform.io/state': 'shop-prod',
          'terraform.io/address': 'module.data.aws_db_instance.orders',
          'terraform.io/module': 'module.data',
          'terraform.io/type': 'aws_db_instance',
          'terraform.io/provider': 'provider["registry.terraform.io/hashicorp/aws"]',
        },
      },
      relations: { environment: 'production' },
    });
    expect(entities.get('cloudResource:shop-prod/google_storage_bucket.exports')?.properties).toMatchObject({
      type: 'bucket',
      provider: 'gcp',
      region: 'EUROPE-WEST1',
      resourceId: 'https://www.googleapis.com/storage/v1/b/acme-order-exports',
    });
  });

  it('never passes on the attributes the state marks sensitive', async () => {
    const records = await fetchAll({ paths: [join(states, 'shop.tfstate')] });
    expect(JSON.stringify(records)).not.toContain('correct-horse-battery-staple');
    const db = records.find((r) => data(r).address === 'module.data.aws_db_instance.orders')!;
    expect(data(db).instance.attributes).not.toHaveProperty('password');
    expect(data(db).instance.attributes.username).toBe('orders_admin');
  });

  it('gives the dependencies that the mapping also maps as relation targets', async () => {
    const records = await fetchAll({ paths: [join(states, 'shop.tfstate')], workspace: 'shop-prod' });
    const lambda = records.find((r) => data(r).address === 'aws_lambda_function.thumbnailer')!;
    expect(mappedDependencies(data(lambda).dependsOn, 'shop-prod')).toEqual([
      'shop-prod/aws_s3_bucket.assets',
      'shop-prod/aws_sqs_queue.orders["created"]',
      'shop-prod/aws_sqs_queue.orders["paid"]',
    ]);
  });

  it('names the states of a folder by their path in it, and skips .terraform folders', async () => {
    const dir = join(scratch, 'estate');
    mkdirSync(join(dir, 'prod', '.terraform'), { recursive: true });
    copyFileSync(join(states, 'shop.tfstate'), join(dir, 'prod', 'shop.tfstate'));
    copyFileSync(
      join(states, 'terraform-data.tfstate'),
      join(dir, 'prod', '.terraform', 'terraform.tfstate'),
    );
    copyFileSync(join(states, 'terraform-data.tfstate'), join(dir, 'lab.tfstate'));
    const records = await fetchAll({ paths: ['estate'] });
    expect([...new Set(records.map((r) => data(r).state.name))]).toEqual(['lab', 'prod/shop']);
  });

  it('reports a state it cannot read, and reads the others', async () => {
    const dir = join(scratch, 'mixed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'old.tfstate'),
      JSON.stringify({ version: 3, terraform_version: '0.11.14', modules: [] }),
    );
    copyFileSync(join(states, 'terraform-data.tfstate'), join(dir, 'new.tfstate'));
    const problems: FetchProblem[] = [];
    const records = await fetchAll({ paths: [dir] }, problems);
    expect(records).toHaveLength(5);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/version 3 is not supported/);
  });

  it('fails when a configured path does not exist', async () => {
    await expect(fetchAll({ paths: ['missing.tfstate'] })).rejects.toThrow(/does not exist/);
  });
});

describe('terraform connector, from an HTTP backend', () => {
  const base = readState('shop.tfstate');

  async function backend(failure: 'none' | 'at-start' | 'midway' = 'none') {
    const server = await startFakeStateBackend({ base, state: { items: base.resources!, failure } });
    servers.push(server);
    return server;
  }

  it('reads the state with basic auth, named after the URL', async () => {
    const server = await backend();
    const records = await fetchAll({
      url: `${server.url}/state/shop-prod`,
      username: 'terraform',
      password: 'tf-secret',
    });
    expect(records).toHaveLength(17);
    expect(data(records[0]).state.name).toBe('shop-prod');
    expect(server.requests[0].headers.authorization).toBe(
      `Basic ${Buffer.from('terraform:tf-secret').toString('base64')}`,
    );
  });

  it('fails on a state cut short rather than reading half of it', async () => {
    const server = await backend('midway');
    await expect(
      fetchAll({ url: `${server.url}/state/shop-prod`, username: 'terraform', password: 'tf-secret' }),
    ).rejects.toThrow(/invalid JSON/);
  });

  it('fails when the backend refuses the credentials', async () => {
    const server = await backend();
    await expect(
      fetchAll({ url: `${server.url}/state/x`, username: 'terraform', password: 'wrong' }),
    ).rejects.toThrow(/401/);
  });
});

describe('terraform mapping functions', () => {
  it('knows the cloud of provider addresses, aliases and the legacy form included', () => {
    expect(
      [
        'provider["registry.terraform.io/hashicorp/aws"]',
        'provider["registry.terraform.io/hashicorp/aws"].west',
        'provider["registry.terraform.io/hashicorp/google-beta"]',
        'provider["registry.terraform.io/hashicorp/azurerm"]',
        'provider.aws',
        'provider["registry.terraform.io/hashicorp/random"]',
      ].map(cloudProvider),
    ).toEqual(['aws', 'aws', 'gcp', 'azure', 'aws', undefined]);
  });

  it('finds the region in an attribute, an ARN or a zone', () => {
    expect(resourceRegion({ arn: 'arn:aws:sqs:us-east-2:1:q' })).toBe('us-east-2');
    expect(resourceRegion({ arn: 'arn:aws:s3:::bucket', availability_zone: 'eu-west-3c' })).toBe('eu-west-3');
    expect(resourceRegion({ zone: 'europe-west1-b' })).toBe('europe-west1');
    expect(resourceRegion({})).toBeUndefined();
  });
});
