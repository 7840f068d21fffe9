import { existsSync, readFileSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { parseAllowList } from '@plexus/connector-sdk';
import { parse } from 'yaml';
import { defaultGraphqlLimits, type GraphqlLimits } from './graphql/limits.ts';
import type { LogLevel } from './log.ts';

/** Everything the server needs to start, after defaults are applied. */
export interface PlexusConfig {
  host: string;
  port: number;
  /** Unset when Plexus should start its embedded Neo4j (npm start). */
  neo4j: {
    uri?: string;
    user: string;
    password: string;
    database?: string;
    /** Connecting and acquiring a connection give up after this (NEO4J_CONNECT_TIMEOUT_MS, 5000). */
    connectTimeoutMs?: number;
    /** Retried transactions give up after this (NEO4J_MAX_RETRY_MS, 5000). */
    maxRetryMs?: number;
    /** How long startup waits for Neo4j to answer (NEO4J_WAIT_TIMEOUT_MS, 300000). */
    waitTimeoutMs?: number;
  };
  dataDir: string;
  /** From PLEXUS_ADMIN_TOKEN; when unset, a token is generated on first start. */
  adminToken?: string;
  logLevel: LogLevel;
  limits: {
    jsonBodyBytes: number;
    ndjsonBodyBytes: number;
    batchSize: number;
    /** Structural limits of every JSON body (and each NDJSON line): nesting depth, array length. */
    jsonDepth: number;
    jsonArrayLength: number;
    /** Longest NDJSON line, in bytes. */
    ndjsonLineBytes: number;
  };
  /** When set (PLEXUS_METRICS_TOKEN), `/metrics` needs `Authorization: Bearer <this>`. */
  metricsToken?: string;
  /**
   * Trust `X-Forwarded-For` for the client address (failed-authentication throttling) — only
   * behind a proxy that sets it (PLEXUS_TRUST_PROXY=true). Otherwise the socket's address counts.
   */
  trustProxy: boolean;
  /** `workers`: GraphQL worker threads (at least 2: one serves while another rebuilds the schema). */
  graphql: { rebuildDebounceMs: number; modelPollMs: number; workers?: number };
  /** What one GraphQL request may cost, its timeout, and heavy reads in flight per caller. */
  graphqlLimits: GraphqlLimits;
  /**
   * Periodic work, run once across replicas by whichever holds its lease in Neo4j (db/lease.ts):
   * a lease not renewed for `leaseTtlMs` (its holder died) goes to another replica.
   */
  scheduler: { leaseTtlMs: number; sourceTickMs: number; scorecardRunMs: number; auditPruneMs: number };
  /** Audit events older than this are pruned (hourly). */
  audit: { retentionDays: number };
  /**
   * Automations (docs/actions.md "Automations"): how often the consumer polls the audit trail
   * (0: this replica does not consume), the depth at which a chain of automations is cut, and how
   * often date properties are swept for property.expired triggers.
   */
  automations: { pollMs: number; maxDepth: number; expirySweepMs: number };
  /** Identities, permissions and request hardening (`auth:` in plexus.yaml). */
  auth: AuthConfig;
  /** Load the demo organisation when the catalog is empty. */
  demo: boolean;
  /** SIGTERM lets in-flight requests finish for at most this long (PLEXUS_SHUTDOWN_TIMEOUT_MS, 30000). */
  shutdownTimeoutMs?: number;
  /** Raw `sources:` of plexus.yaml, read by the sources module. */
  sources: unknown[];
  /**
   * Files connectors may read: sources' paths must lie in `roots` (PLEXUS_FILE_ROOTS, default the
   * working directory); the data directory, /proc, /sys and /etc never are readable.
   */
  files: { roots: string[]; maxPlaceholderBytes: number };
  /** Outbound calls: non-public addresses need an `allow` entry (PLEXUS_EGRESS_ALLOW). */
  egress: { allow: string[]; maxResponseBytes: number; timeoutMs: number; maxRedirects: number };
  /** Actions and runs (`actions:` in plexus.yaml; docs/actions.md). */
  actions: ActionsConfig;
}

/** Settings of actions and runs. */
export interface ActionsConfig {
  /** Base64 of 32 bytes (PLEXUS_SECRETS_KEY): encrypts invoker and input secrets; else `<dataDir>/secrets.key`. */
  secretsKey?: string;
  /** The URL executors call back (`run.apiUrl` is this + `/api/v1`): PLEXUS_PUBLIC_URL, default http://<host>:<port>. */
  publicUrl: string;
  /** Longest log line and run report field, in bytes (PLEXUS_RUN_LOG_LINE_BYTES, 8kb); 413 above. */
  maxLogLineBytes: number;
  /** Most log lines one run keeps (PLEXUS_RUN_MAX_LOG_LINES, 10000); 413 above. */
  maxLogLines: number;
  /** How often runs past their action's timeout are ended TIMED_OUT (actions.timeoutCheckMs, 30000; 0 off). */
  timeoutCheckMs: number;
  /** Idle run event streams get a comment this often, so proxies keep them open (actions.heartbeatMs, 15000). */
  heartbeatMs: number;
}

/** OIDC/JWT bearer tokens, verified against the identity provider's JWKS. */
export interface OidcConfig {
  jwksUrl: string;
  issuer: string;
  audience: string[];
  /** Leeway for exp/nbf/iat between this server's clock and the provider's. */
  clockToleranceSeconds: number;
  algorithms: string[];
  /** Claim names: who the user is, their display name, teams (groups) and roles. */
  claims: { user: string; name: string; teams: string; roles: string };
  /**
   * Values of the roles claim → Plexus role (`admin`, `member`, `viewer`) or `moderator:<blueprint>`.
   * Values that are already role names need no entry.
   */
  roleMap: Record<string, string>;
  /** Role of a valid token whose claims map to none. */
  defaultRole: 'admin' | 'member' | 'viewer';
}

/** The `auth:` section of plexus.yaml. */
export interface AuthConfig {
  /** Relation naming an entity's owning team, unless a blueprint sets `permissions.ownerRelation`. */
  ownerRelation: string;
  oidc: OidcConfig | null;
  /** Token bucket per caller: sustained requests per minute and burst size; 0 switches it off. */
  rateLimit: { perMinute: number; burst: number };
  /**
   * Failed authentications allowed per client address: sustained per minute and burst; past
   * them the address gets 429 until the bucket refills. 0 switches it off.
   */
  failureLimit: { perMinute: number; burst: number };
  /** Browser origins allowed to call the API cross-origin; empty denies every other origin. */
  corsOrigins: string[];
}

/** Raised by `readConfig` with a message that says what to fix. */
export class ConfigError extends Error {}

const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];

function toInt(name: string, raw: unknown, fallback: number, min = 0): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function parseBytes(name: string, raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const m = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(String(raw).trim());
  if (!m) throw new ConfigError(`${name} must be a size such as 10mb, got "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

function readFlag(name: string, raw: unknown): boolean {
  if (raw === undefined || raw === null || raw === '') return false;
  const v = String(raw).trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * Reads the configuration from the environment and an optional `plexus.yaml`
 * (`PLEXUS_CONFIG`, default `./plexus.yaml`). The environment wins over the file.
 * Throws `ConfigError` naming the bad setting.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PlexusConfig {
  const file = resolve(cwd, env.PLEXUS_CONFIG ?? 'plexus.yaml');
  let y: Record<string, any> = {};
  if (existsSync(file)) {
    try {
      y = (parse(readFileSync(file, 'utf8')) as Record<string, any>) ?? {};
    } catch (err) {
      throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof y !== 'object' || Array.isArray(y)) throw new ConfigError(`${file} must hold a mapping at the top`);
  } else if (env.PLEXUS_CONFIG) {
    throw new ConfigError(`PLEXUS_CONFIG points at ${file}, which does not exist`);
  }
  const server = y.server ?? {};
  const neo = y.neo4j ?? {};
  const limits = y.limits ?? {};
  const logLevel = (env.LOG_LEVEL ?? y.logLevel ?? 'info') as LogLevel;
  if (!levels.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  const sources = y.sources ?? [];
  if (!Array.isArray(sources)) throw new ConfigError(`"sources" in ${file} must be a list`);
  return {
    host: env.HOST ?? server.host ?? '127.0.0.1',
    port: toInt('PORT', env.PORT ?? server.port, 4000, 0),
    neo4j: {
      uri: env.NEO4J_URI ?? neo.uri,
      user: env.NEO4J_USER ?? neo.user ?? 'neo4j',
      password: env.NEO4J_PASSWORD ?? neo.password ?? 'neo4j',
      database: env.NEO4J_DATABASE ?? neo.database,
      connectTimeoutMs: toInt('NEO4J_CONNECT_TIMEOUT_MS', env.NEO4J_CONNECT_TIMEOUT_MS ?? neo.connectTimeoutMs, 5000, 100),
      maxRetryMs: toInt('NEO4J_MAX_RETRY_MS', env.NEO4J_MAX_RETRY_MS ?? neo.maxRetryMs, 5000, 0),
      waitTimeoutMs: toInt('NEO4J_WAIT_TIMEOUT_MS', env.NEO4J_WAIT_TIMEOUT_MS ?? neo.waitTimeoutMs, 300_000, 0),
    },
    dataDir: resolve(cwd, env.PLEXUS_DATA_DIR ?? y.dataDir ?? '.data'),
    adminToken: env.PLEXUS_ADMIN_TOKEN || undefined,
    logLevel,
    limits: {
      jsonBodyBytes: parseBytes('PLEXUS_MAX_BODY', env.PLEXUS_MAX_BODY ?? limits.jsonBody, 16 * 1024 ** 2),
      ndjsonBodyBytes: parseBytes(
        'PLEXUS_MAX_NDJSON_BODY',
        env.PLEXUS_MAX_NDJSON_BODY ?? limits.ndjsonBody,
        512 * 1024 ** 2,
      ),
      batchSize: toInt('PLEXUS_BATCH_SIZE', env.PLEXUS_BATCH_SIZE ?? limits.batchSize, 5000, 1),
      jsonDepth: toInt('PLEXUS_MAX_JSON_DEPTH', env.PLEXUS_MAX_JSON_DEPTH ?? limits.jsonDepth, 64, 2),
      jsonArrayLength: toInt('PLEXUS_MAX_JSON_ARRAY', env.PLEXUS_MAX_JSON_ARRAY ?? limits.jsonArrayLength, 100_000, 1),
      ndjsonLineBytes: parseBytes('PLEXUS_MAX_NDJSON_LINE', env.PLEXUS_MAX_NDJSON_LINE ?? limits.ndjsonLine, 4 * 1024 ** 2),
    },
    metricsToken: env.PLEXUS_METRICS_TOKEN || undefined,
    trustProxy: readFlag('PLEXUS_TRUST_PROXY', env.PLEXUS_TRUST_PROXY ?? server.trustProxy),
    graphql: {
      rebuildDebounceMs: toInt('graphql.rebuildDebounceMs', y.graphql?.rebuildDebounceMs, 150),
      modelPollMs: toInt('PLEXUS_MODEL_POLL_MS', env.PLEXUS_MODEL_POLL_MS ?? y.graphql?.modelPollMs, 2000),
      workers: toInt('graphql.workers', y.graphql?.workers, 2, 2),
    },
    scheduler: {
      leaseTtlMs: toInt('PLEXUS_LEASE_TTL_MS', env.PLEXUS_LEASE_TTL_MS ?? y.scheduler?.leaseTtlMs, 30_000, 100),
      sourceTickMs: toInt('scheduler.sourceTickMs', y.scheduler?.sourceTickMs, 15_000, 0),
      scorecardRunMs: toInt('scheduler.scorecardRunMs', y.scheduler?.scorecardRunMs, 3_600_000, 0),
      auditPruneMs: toInt('scheduler.auditPruneMs', y.scheduler?.auditPruneMs, 3_600_000, 0),
    },
    graphqlLimits: readGraphqlLimits(env, y.graphql ?? {}),
    audit: { retentionDays: toInt('PLEXUS_AUDIT_RETENTION_DAYS', env.PLEXUS_AUDIT_RETENTION_DAYS ?? y.audit?.retentionDays, 365, 1) },
    automations: {
      pollMs: toInt('PLEXUS_AUTOMATION_POLL_MS', env.PLEXUS_AUTOMATION_POLL_MS ?? y.automations?.pollMs, 1000, 0),
      maxDepth: toInt('PLEXUS_AUTOMATION_MAX_DEPTH', env.PLEXUS_AUTOMATION_MAX_DEPTH ?? y.automations?.maxDepth, 3, 1),
      expirySweepMs: toInt('PLEXUS_AUTOMATION_EXPIRY_SWEEP_MS', env.PLEXUS_AUTOMATION_EXPIRY_SWEEP_MS ?? y.automations?.expirySweepMs, 60_000, 100),
    },
    auth: readAuthConfig(env, y.auth ?? {}),
    demo: (env.PLEXUS_DEMO ?? String(y.demo ?? 'true')) !== 'false',
    shutdownTimeoutMs: toInt('PLEXUS_SHUTDOWN_TIMEOUT_MS', env.PLEXUS_SHUTDOWN_TIMEOUT_MS ?? server.shutdownTimeoutMs, 30_000, 0),
    sources,
    files: readFilesConfig(env, y.files ?? {}, cwd),
    egress: readEgressConfig(env, y.egress ?? {}),
    actions: readActionsConfig(env, y.actions ?? {}, env.HOST ?? server.host ?? '127.0.0.1', toInt('PORT', env.PORT ?? server.port, 4000, 0)),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: raw YAML, checked field by field below
function readActionsConfig(env: NodeJS.ProcessEnv, a: Record<string, any>, host: string, port: number): ActionsConfig {
  const key = env.PLEXUS_SECRETS_KEY || a.secretsKey || undefined;
  if (key !== undefined && Buffer.from(String(key), 'base64').length !== 32) {
    throw new ConfigError('PLEXUS_SECRETS_KEY (actions.secretsKey) must be 32 random bytes in base64, e.g. the output of `openssl rand -base64 32`');
  }
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = String(env.PLEXUS_PUBLIC_URL ?? a.publicUrl ?? `http://${local.includes(':') ? `[${local}]` : local}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicUrl)) {
    throw new ConfigError(`PLEXUS_PUBLIC_URL (actions.publicUrl) must be the http(s) URL executors reach this server at, such as https://plexus.example.com; got "${publicUrl}"`);
  }
  return {
    secretsKey: key === undefined ? undefined : String(key),
    publicUrl,
    maxLogLineBytes: parseBytes('PLEXUS_RUN_LOG_LINE_BYTES', env.PLEXUS_RUN_LOG_LINE_BYTES ?? a.maxLogLineBytes, 8 * 1024),
    maxLogLines: toInt('PLEXUS_RUN_MAX_LOG_LINES', env.PLEXUS_RUN_MAX_LOG_LINES ?? a.maxLogLines, 10_000, 1),
    timeoutCheckMs: toInt('actions.timeoutCheckMs', a.timeoutCheckMs, 30_000, 0),
    heartbeatMs: toInt('actions.heartbeatMs', a.heartbeatMs, 15_000, 10),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: raw YAML, checked field by field below
function readFilesConfig(env: NodeJS.ProcessEnv, f: Record<string, any>, cwd: string): PlexusConfig['files'] {
  const raw = env.PLEXUS_FILE_ROOTS ?? f.roots;
  const roots =
    raw === undefined || raw === ''
      ? [cwd]
      : (Array.isArray(raw) ? raw.map(String) : String(raw).split(delimiter)).map((r) => r.trim()).filter(Boolean);
  if (roots.length === 0)
    throw new ConfigError(`PLEXUS_FILE_ROOTS (files.roots) must list at least one folder, separated by "${delimiter}"`);
  return {
    roots: roots.map((r) => resolve(cwd, r)),
    maxPlaceholderBytes: parseBytes(
      'PLEXUS_PLACEHOLDER_MAX_BYTES',
      env.PLEXUS_PLACEHOLDER_MAX_BYTES ?? f.maxPlaceholderBytes,
      1024 ** 2,
    ),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: raw YAML, checked field by field below
function readEgressConfig(env: NodeJS.ProcessEnv, e: Record<string, any>): PlexusConfig['egress'] {
  const allow = list(env.PLEXUS_EGRESS_ALLOW ?? e.allow);
  try {
    parseAllowList(allow);
  } catch (err) {
    throw new ConfigError(`PLEXUS_EGRESS_ALLOW (egress.allow): ${(err as Error).message}`);
  }
  return {
    allow,
    maxResponseBytes: parseBytes(
      'PLEXUS_EGRESS_MAX_RESPONSE_BYTES',
      env.PLEXUS_EGRESS_MAX_RESPONSE_BYTES ?? e.maxResponseBytes,
      50 * 1024 ** 2,
    ),
    timeoutMs: toInt('PLEXUS_EGRESS_TIMEOUT_MS', env.PLEXUS_EGRESS_TIMEOUT_MS ?? e.timeoutMs, 60_000, 1),
    maxRedirects: toInt('PLEXUS_EGRESS_MAX_REDIRECTS', env.PLEXUS_EGRESS_MAX_REDIRECTS ?? e.maxRedirects, 5, 0),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: raw YAML, checked field by field below
function readGraphqlLimits(env: NodeJS.ProcessEnv, g: Record<string, any>): GraphqlLimits {
  const d = defaultGraphqlLimits;
  return {
    maxDepth: toInt('PLEXUS_GRAPHQL_MAX_DEPTH (graphql.maxDepth)', env.PLEXUS_GRAPHQL_MAX_DEPTH ?? g.maxDepth, d.maxDepth, 1),
    maxAliases: toInt('PLEXUS_GRAPHQL_MAX_ALIASES (graphql.maxAliases)', env.PLEXUS_GRAPHQL_MAX_ALIASES ?? g.maxAliases, d.maxAliases, 0),
    maxRootFields: toInt('PLEXUS_GRAPHQL_MAX_ROOT_FIELDS (graphql.maxRootFields)', env.PLEXUS_GRAPHQL_MAX_ROOT_FIELDS ?? g.maxRootFields, d.maxRootFields, 1),
    maxCost: toInt('PLEXUS_GRAPHQL_MAX_COST (graphql.maxCost)', env.PLEXUS_GRAPHQL_MAX_COST ?? g.maxCost, d.maxCost, 1),
    timeoutMs: toInt('PLEXUS_GRAPHQL_TIMEOUT_MS (graphql.timeoutMs)', env.PLEXUS_GRAPHQL_TIMEOUT_MS ?? g.timeoutMs, d.timeoutMs, 100),
    maxConcurrent: toInt('PLEXUS_GRAPHQL_MAX_CONCURRENT (graphql.maxConcurrent; 0: no cap)', env.PLEXUS_GRAPHQL_MAX_CONCURRENT ?? g.maxConcurrent, d.maxConcurrent, 0),
  };
}

function list(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (Array.isArray(raw)) return raw.map(String).map((s) => s.trim()).filter(Boolean);
  return String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const roleNames = ['admin', 'member', 'viewer'];

// biome-ignore lint/suspicious/noExplicitAny: raw YAML, checked field by field below
function readAuthConfig(env: NodeJS.ProcessEnv, a: Record<string, any>): AuthConfig {
  if (typeof a !== 'object' || Array.isArray(a)) throw new ConfigError('"auth" in plexus.yaml must be a mapping');
  const o = a.oidc ?? {};
  const jwksUrl = env.PLEXUS_OIDC_JWKS_URL ?? o.jwksUrl;
  let oidc: OidcConfig | null = null;
  if (jwksUrl) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError(`PLEXUS_OIDC_JWKS_URL (auth.oidc.jwksUrl) is not a URL: "${jwksUrl}"`);
    }
    // Keys fetched over plain HTTP could be swapped in transit; only loopback may use it.
    if (url.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      throw new ConfigError('PLEXUS_OIDC_JWKS_URL must be an https URL (plain http only on 127.0.0.1/localhost)');
    }
    const issuer = env.PLEXUS_OIDC_ISSUER ?? o.issuer;
    const audience = list(env.PLEXUS_OIDC_AUDIENCE ?? o.audience);
    // Without both checks a token minted by the same provider for another application would pass.
    if (!issuer) throw new ConfigError('PLEXUS_OIDC_ISSUER (auth.oidc.issuer) is required when a JWKS URL is set');
    if (audience.length === 0) throw new ConfigError('PLEXUS_OIDC_AUDIENCE (auth.oidc.audience) is required when a JWKS URL is set');
    const claims = o.claims ?? {};
    const roleMap = o.roleMap ?? {};
    if (typeof roleMap !== 'object' || Array.isArray(roleMap)) throw new ConfigError('auth.oidc.roleMap must map claim values to roles');
    for (const [k, v] of Object.entries(roleMap)) {
      if (typeof v !== 'string' || !(roleNames.includes(v) || /^moderator:[a-z][a-zA-Z0-9]*$/.test(v))) {
        throw new ConfigError(`auth.oidc.roleMap.${k} must be admin, member, viewer or moderator:<blueprint>`);
      }
    }
    const defaultRole = env.PLEXUS_OIDC_DEFAULT_ROLE ?? o.defaultRole ?? 'viewer';
    if (!roleNames.includes(defaultRole)) throw new ConfigError('PLEXUS_OIDC_DEFAULT_ROLE must be admin, member or viewer');
    oidc = {
      jwksUrl,
      issuer,
      audience,
      clockToleranceSeconds: toInt('PLEXUS_OIDC_CLOCK_TOLERANCE', env.PLEXUS_OIDC_CLOCK_TOLERANCE ?? o.clockToleranceSeconds, 60, 0),
      algorithms: list(env.PLEXUS_OIDC_ALGORITHMS ?? o.algorithms).length > 0 ? list(env.PLEXUS_OIDC_ALGORITHMS ?? o.algorithms) : ['RS256', 'ES256', 'PS256', 'EdDSA'],
      claims: {
        user: env.PLEXUS_OIDC_USER_CLAIM ?? claims.user ?? 'sub',
        name: env.PLEXUS_OIDC_NAME_CLAIM ?? claims.name ?? 'name',
        teams: env.PLEXUS_OIDC_TEAMS_CLAIM ?? claims.teams ?? 'groups',
        roles: env.PLEXUS_OIDC_ROLES_CLAIM ?? claims.roles ?? 'roles',
      },
      roleMap: roleMap as Record<string, string>,
      defaultRole: defaultRole as OidcConfig['defaultRole'],
    };
    if (oidc.algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
      throw new ConfigError('auth.oidc.algorithms must be asymmetric (RS*, PS*, ES*, EdDSA): JWKS keys are public');
    }
  }
  const rate = a.rateLimit ?? {};
  const ownerRelation = env.PLEXUS_OWNER_RELATION ?? a.ownerRelation ?? 'ownedBy';
  if (!/^[a-z][a-zA-Z0-9]{0,63}$/.test(ownerRelation)) throw new ConfigError('PLEXUS_OWNER_RELATION (auth.ownerRelation) must be a relation identifier such as ownedBy');
  return {
    ownerRelation,
    oidc,
    rateLimit: {
      perMinute: toInt('PLEXUS_RATE_LIMIT', env.PLEXUS_RATE_LIMIT ?? rate.perMinute, 1200, 0),
      burst: toInt('PLEXUS_RATE_BURST', env.PLEXUS_RATE_BURST ?? rate.burst, 200, 1),
    },
    failureLimit: {
      perMinute: toInt('PLEXUS_AUTH_FAILURES_PER_MINUTE', env.PLEXUS_AUTH_FAILURES_PER_MINUTE ?? a.failureLimit?.perMinute, 30, 0),
      burst: toInt('PLEXUS_AUTH_FAILURE_BURST', env.PLEXUS_AUTH_FAILURE_BURST ?? a.failureLimit?.burst, 50, 1),
    },
    corsOrigins: list(env.PLEXUS_CORS_ORIGINS ?? a.corsOrigins).map((origin) => {
      if (origin === '*') throw new ConfigError('PLEXUS_CORS_ORIGINS may not be "*"; list the origins of your UIs');
      if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError(`PLEXUS_CORS_ORIGINS entry "${origin}" must be an origin such as https://portal.example.com`);
      return origin;
    }),
  };
}
