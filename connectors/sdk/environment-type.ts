/**
 * The sdlc environment type an environment name suggests (`prod`, `production-eu` → production;
 * `stage`, `staging` → staging; `dev` → development; `test`, `qa` → test), or undefined. Shared by
 * the connectors that discover environments (GitHub deployments, Kubernetes namespaces), which
 * register it as the mapping function `$environmentType(name)`.
 */
export function environmentType(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const words = name.toLowerCase().split(/[^a-z0-9]+/);
  const has = (...w: string[]) => words.some((x) => w.includes(x));
  if (has('prod', 'production', 'prd', 'live')) return 'production';
  if (has('staging', 'stage', 'stg', 'preprod')) return 'staging';
  if (has('dev', 'development', 'sandbox')) return 'development';
  if (has('test', 'testing', 'qa', 'uat', 'ci')) return 'test';
  return undefined;
}
