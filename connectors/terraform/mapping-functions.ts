/**
 * JSONata functions for Terraform mappings: what kind of cloud resource a resource type is, which
 * cloud a provider address belongs to, and the attributes worth keeping (id, region, encryption),
 * read the same way across the AWS, Google and AzureRM providers.
 */
import type { MappingFunctions } from '@plexus/connector-sdk';

/** Resource types by the sdlc `cloudResource.type` they are. */
const categories: Record<string, string[]> = {
  database: [
    'aws_db_instance',
    'aws_rds_cluster',
    'aws_dynamodb_table',
    'aws_docdb_cluster',
    'aws_neptune_cluster',
    'aws_redshift_cluster',
    'google_sql_database_instance',
    'google_spanner_instance',
    'google_bigtable_instance',
    'google_firestore_database',
    'azurerm_postgresql_flexible_server',
    'azurerm_postgresql_server',
    'azurerm_mysql_flexible_server',
    'azurerm_mssql_server',
    'azurerm_mssql_database',
    'azurerm_cosmosdb_account',
  ],
  cache: [
    'aws_elasticache_cluster',
    'aws_elasticache_replication_group',
    'aws_elasticache_serverless_cache',
    'aws_memorydb_cluster',
    'google_redis_instance',
    'google_memcache_instance',
    'azurerm_redis_cache',
  ],
  queue: [
    'aws_sqs_queue',
    'aws_mq_broker',
    'google_cloud_tasks_queue',
    'azurerm_servicebus_queue',
    'azurerm_storage_queue',
  ],
  topic: [
    'aws_sns_topic',
    'aws_kinesis_stream',
    'aws_msk_cluster',
    'google_pubsub_topic',
    'azurerm_servicebus_topic',
    'azurerm_eventhub',
    'azurerm_eventgrid_topic',
  ],
  bucket: ['aws_s3_bucket', 'google_storage_bucket', 'azurerm_storage_account', 'azurerm_storage_container'],
  cluster: [
    'aws_eks_cluster',
    'aws_ecs_cluster',
    'aws_emr_cluster',
    'google_container_cluster',
    'google_dataproc_cluster',
    'azurerm_kubernetes_cluster',
  ],
  loadBalancer: [
    'aws_lb',
    'aws_alb',
    'aws_elb',
    'google_compute_forwarding_rule',
    'google_compute_global_forwarding_rule',
    'azurerm_lb',
    'azurerm_application_gateway',
  ],
  function: [
    'aws_lambda_function',
    'google_cloudfunctions_function',
    'google_cloudfunctions2_function',
    'google_cloud_run_v2_service',
    'azurerm_function_app',
    'azurerm_linux_function_app',
    'azurerm_windows_function_app',
  ],
  searchIndex: ['aws_opensearch_domain', 'aws_elasticsearch_domain', 'azurerm_search_service'],
};
const categoryOf = new Map(
  Object.entries(categories).flatMap(([c, types]) => types.map((t) => [t, c] as const)),
);

/** The sdlc cloud-resource type of a Terraform resource type, or undefined (IAM roles, subnets...). */
export function resourceCategory(type: unknown): string | undefined {
  return typeof type === 'string' ? categoryOf.get(type) : undefined;
}

const providers: Record<string, string> = {
  'hashicorp/aws': 'aws',
  'hashicorp/google': 'gcp',
  'hashicorp/google-beta': 'gcp',
  'hashicorp/azurerm': 'azure',
};

/**
 * The sdlc provider of a state's provider address (`provider["registry.terraform.io/hashicorp/aws"]`,
 * with an optional `.alias`; the legacy `provider.aws` too), or undefined for other providers.
 */
export function cloudProvider(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  const m = /provider\["(?:[^/"]+\/)?([^"]+)"\]/.exec(address);
  if (m) return providers[m[1]];
  const legacy = /^provider\.([a-z0-9-]+)/.exec(address);
  return legacy ? providers[`hashicorp/${legacy[1]}`] : undefined;
}

type Attrs = Record<string, any>;
const attrs = (a: unknown): Attrs => (a && typeof a === 'object' ? (a as Attrs) : {});

/** The region of a resource: its `region`/`location`, the region of its ARN, or of its zone. */
export function resourceRegion(attributes: unknown): string | undefined {
  const a = attrs(attributes);
  for (const k of ['region', 'location']) if (typeof a[k] === 'string' && a[k] !== '') return a[k];
  if (typeof a.arn === 'string') {
    const region = a.arn.split(':')[3];
    if (region) return region;
  }
  for (const k of ['availability_zone', 'zone'])
    if (typeof a[k] === 'string' && a[k] !== '') return a[k].replace(/-?[a-z]$/, '');
  return undefined;
}

/** The provider's id of a resource: its ARN, self link or id. */
export function resourceId(attributes: unknown): string | undefined {
  const a = attrs(attributes);
  for (const k of ['arn', 'self_link', 'id']) if (typeof a[k] === 'string' && a[k] !== '') return a[k];
  return undefined;
}

/** Whether the resource says it is encrypted at rest; undefined when it does not say. */
export function resourceEncrypted(attributes: unknown): boolean | undefined {
  const a = attrs(attributes);
  for (const k of ['storage_encrypted', 'encrypted', 'at_rest_encryption_enabled', 'sqs_managed_sse_enabled'])
    if (typeof a[k] === 'boolean' && (a[k] || k !== 'sqs_managed_sse_enabled')) return a[k];
  if (typeof a.kms_master_key_id === 'string' && a.kms_master_key_id !== '') return true;
  for (const block of ['server_side_encryption', 'encrypt_at_rest']) {
    const first = Array.isArray(a[block]) ? a[block][0] : undefined;
    if (first && typeof first.enabled === 'boolean') return first.enabled;
  }
  const rules = Array.isArray(a.server_side_encryption_configuration)
    ? a.server_side_encryption_configuration
    : [];
  if (rules.length > 0) return true;
  return undefined;
}

/**
 * A resource's labels: its cloud tags (`tags_all` with provider defaults, else `tags`, or
 * Google's `labels`) plus where Terraform keeps it, under `terraform.io/` keys.
 */
export function terraformLabels(record: unknown): Record<string, string> | undefined {
  const r = attrs(record);
  const a = attrs(r.instance?.attributes);
  const cloud = attrs(a.tags_all ?? a.tags ?? a.labels);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(cloud)) if (typeof v === 'string') out[k] = v;
  out['terraform.io/state'] = String(r.state?.name ?? '');
  out['terraform.io/address'] = String(r.address ?? '');
  out['terraform.io/module'] = String(r.resource?.module ?? '');
  out['terraform.io/type'] = String(r.resource?.type ?? '');
  out['terraform.io/provider'] = String(r.resource?.provider ?? '');
  return out;
}

/**
 * The identifiers of the dependencies the default mapping also maps (a cloud provider and a
 * category), so dependency relations point only at entities that exist.
 */
export function mappedDependencies(dependsOn: unknown, stateName: unknown): string[] {
  return (Array.isArray(dependsOn) ? dependsOn : [])
    .filter((d) => resourceCategory(d?.type) && cloudProvider(d?.provider))
    .map((d) => `${String(stateName)}/${d.address}`);
}

/** The functions, as the SDK registers them. */
export const terraformFunctions: MappingFunctions = {
  resourceCategory: { fn: resourceCategory },
  cloudProvider: { fn: cloudProvider },
  resourceRegion: { fn: resourceRegion },
  resourceId: { fn: resourceId },
  resourceEncrypted: { fn: resourceEncrypted },
  terraformLabels: { fn: terraformLabels },
  mappedDependencies: { fn: mappedDependencies },
};
