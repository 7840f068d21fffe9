import { existsSync, readFileSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { configErrorMap, parseAllowList } from '@plexus/connector-sdk';
import { parse } from 'yaml';
import { z } from 'zod';
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

/** Raised by `readConfig` with a message that says what to fix (one line per bad setting). */
export class ConfigError extends Error {}

// ---- Kinds of values. Each reads what an environment variable gives (text) and what YAML gives. ----

/** Environment variables are text; not `z.coerce.number()`, which reads `""` and `true` as numbers. */
const numberFromText = (v: unknown) =>
  typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;

/** A whole number, at least `min`. */
function integer(min: number) {
  const error = (iss: { input?: unknown }) => `must be an integer >= ${min}, got "${String(iss.input)}"`;
  return z.preprocess(numberFromText, z.number({ error }).int({ error }).min(min, { error }));
}

const sizeUnits: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A size in bytes: `512`, `64kb`, `10mb`, `1g` (binary units). Hand-written inside zod: zod has no
 * size type, and the whole parser is one regular expression.
 */
const size = z.unknown().transform((raw, ctx) => {
  const m = /^(\d+)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(String(raw).trim());
  if (!m || (typeof raw !== 'string' && typeof raw !== 'number')) {
    ctx.addIssue({ code: 'custom', message: `must be a size such as 10mb, got "${String(raw)}"` });
    return z.NEVER;
  }
  return Number(m[1]) * sizeUnits[(m[2] ?? 'b').toLowerCase()[0]];
});

const flagWords: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };

/** `true`/`false` (or `1`/`0`). */
const flag = z.preprocess(
  (v) => (typeof v === 'string' ? (flagWords[v.trim().toLowerCase()] ?? v) : v),
  z.boolean({ error: (iss) => `must be true or false, got "${String(iss.input)}"` }),
);

/** Text; a YAML number (`password: 1234`) is read as its text. */
const text = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string());

/** A list: YAML list, or text separated by `separator` (environment variables). Blank items are dropped. */
function list(separator = ',') {
  return z
    .union([z.string(), z.array(z.union([z.string(), z.number()]))], {
      error: () => `must be a list, or text separated by "${separator}"`,
    })
    .transform((v) =>
      (Array.isArray(v) ? v.map(String) : v.split(separator)).map((s) => s.trim()).filter(Boolean),
    );
}

/** An absolute http(s) URL, without a trailing slash. */
const httpUrl = (error: string) =>
  z.url({ protocol: z.regexes.httpProtocol, error }).transform((s) => s.replace(/\/+$/, ''));

const loopbackHosts = ['127.0.0.1', 'localhost', '[::1]'];
const roleNames = ['admin', 'member', 'viewer'] as const;
const roleMessage = 'must be admin, member, viewer or moderator:<blueprint>';

// ---- The settings: where each may be set (environment variable, plexus.yaml path) and its default. ----

interface Where {
  env?: string;
  /** Dotted path in plexus.yaml, e.g. `server.port`. */
  yaml?: string;
}

interface Setting<T, D> extends Where {
  schema: z.ZodType<T>;
  fallback: D;
}

function setting<T>(schema: z.ZodType<T>, where: Where): Setting<T, undefined>;
function setting<T>(schema: z.ZodType<T>, where: Where, fallback: T): Setting<T, T>;
function setting<T>(schema: z.ZodType<T>, where: Where, fallback?: T): Setting<T, T | undefined> {
  return { schema, ...where, fallback };
}

const g = defaultGraphqlLimits;

/** Every setting. The environment wins over plexus.yaml; the fallback applies when neither sets it. */
const settings = {
  host: setting(text, { env: 'HOST', yaml: 'server.host' }, '127.0.0.1'),
  port: setting(integer(0), { env: 'PORT', yaml: 'server.port' }, 4000),
  trustProxy: setting(flag, { env: 'PLEXUS_TRUST_PROXY', yaml: 'server.trustProxy' }, false),
  shutdownTimeoutMs: setting(
    integer(0),
    { env: 'PLEXUS_SHUTDOWN_TIMEOUT_MS', yaml: 'server.shutdownTimeoutMs' },
    30_000,
  ),
  neo4jUri: setting(text, { env: 'NEO4J_URI', yaml: 'neo4j.uri' }),
  neo4jUser: setting(text, { env: 'NEO4J_USER', yaml: 'neo4j.user' }, 'neo4j'),
  neo4jPassword: setting(text, { env: 'NEO4J_PASSWORD', yaml: 'neo4j.password' }, 'neo4j'),
  neo4jDatabase: setting(text, { env: 'NEO4J_DATABASE', yaml: 'neo4j.database' }),
  connectTimeoutMs: setting(
    integer(100),
    { env: 'NEO4J_CONNECT_TIMEOUT_MS', yaml: 'neo4j.connectTimeoutMs' },
    5000,
  ),
  maxRetryMs: setting(integer(0), { env: 'NEO4J_MAX_RETRY_MS', yaml: 'neo4j.maxRetryMs' }, 5000),
  waitTimeoutMs: setting(integer(0), { env: 'NEO4J_WAIT_TIMEOUT_MS', yaml: 'neo4j.waitTimeoutMs' }, 300_000),
  dataDir: setting(text, { env: 'PLEXUS_DATA_DIR', yaml: 'dataDir' }, '.data'),
  adminToken: setting(text, { env: 'PLEXUS_ADMIN_TOKEN' }),
  metricsToken: setting(text, { env: 'PLEXUS_METRICS_TOKEN' }),
  logLevel: setting(
    z.enum(['debug', 'info', 'warn', 'error']),
    { env: 'LOG_LEVEL', yaml: 'logLevel' },
    'info',
  ),
  demo: setting(flag, { env: 'PLEXUS_DEMO', yaml: 'demo' }, true),
  sources: setting(z.array(z.unknown()), { yaml: 'sources' }, []),

  jsonBodyBytes: setting(size, { env: 'PLEXUS_MAX_BODY', yaml: 'limits.jsonBody' }, 16 * 1024 ** 2),
  ndjsonBodyBytes: setting(
    size,
    { env: 'PLEXUS_MAX_NDJSON_BODY', yaml: 'limits.ndjsonBody' },
    512 * 1024 ** 2,
  ),
  batchSize: setting(integer(1), { env: 'PLEXUS_BATCH_SIZE', yaml: 'limits.batchSize' }, 5000),
  jsonDepth: setting(integer(2), { env: 'PLEXUS_MAX_JSON_DEPTH', yaml: 'limits.jsonDepth' }, 64),
  jsonArrayLength: setting(
    integer(1),
    { env: 'PLEXUS_MAX_JSON_ARRAY', yaml: 'limits.jsonArrayLength' },
    100_000,
  ),
  ndjsonLineBytes: setting(size, { env: 'PLEXUS_MAX_NDJSON_LINE', yaml: 'limits.ndjsonLine' }, 4 * 1024 ** 2),

  rebuildDebounceMs: setting(integer(0), { yaml: 'graphql.rebuildDebounceMs' }, 150),
  modelPollMs: setting(integer(0), { env: 'PLEXUS_MODEL_POLL_MS', yaml: 'graphql.modelPollMs' }, 2000),
  workers: setting(integer(2), { yaml: 'graphql.workers' }, 2),
  maxDepth: setting(integer(1), { env: 'PLEXUS_GRAPHQL_MAX_DEPTH', yaml: 'graphql.maxDepth' }, g.maxDepth),
  maxAliases: setting(
    integer(0),
    { env: 'PLEXUS_GRAPHQL_MAX_ALIASES', yaml: 'graphql.maxAliases' },
    g.maxAliases,
  ),
  maxRootFields: setting(
    integer(1),
    { env: 'PLEXUS_GRAPHQL_MAX_ROOT_FIELDS', yaml: 'graphql.maxRootFields' },
    g.maxRootFields,
  ),
  maxCost: setting(integer(1), { env: 'PLEXUS_GRAPHQL_MAX_COST', yaml: 'graphql.maxCost' }, g.maxCost),
  graphqlTimeoutMs: setting(
    integer(100),
    { env: 'PLEXUS_GRAPHQL_TIMEOUT_MS', yaml: 'graphql.timeoutMs' },
    g.timeoutMs,
  ),
  /** 0: no cap. */
  maxConcurrent: setting(
    integer(0),
    { env: 'PLEXUS_GRAPHQL_MAX_CONCURRENT', yaml: 'graphql.maxConcurrent' },
    g.maxConcurrent,
  ),

  leaseTtlMs: setting(integer(100), { env: 'PLEXUS_LEASE_TTL_MS', yaml: 'scheduler.leaseTtlMs' }, 30_000),
  sourceTickMs: setting(integer(0), { yaml: 'scheduler.sourceTickMs' }, 15_000),
  scorecardRunMs: setting(integer(0), { yaml: 'scheduler.scorecardRunMs' }, 3_600_000),
  auditPruneMs: setting(integer(0), { yaml: 'scheduler.auditPruneMs' }, 3_600_000),
  retentionDays: setting(
    integer(1),
    { env: 'PLEXUS_AUDIT_RETENTION_DAYS', yaml: 'audit.retentionDays' },
    365,
  ),
  automationPollMs: setting(
    integer(0),
    { env: 'PLEXUS_AUTOMATION_POLL_MS', yaml: 'automations.pollMs' },
    1000,
  ),
  automationMaxDepth: setting(
    integer(1),
    { env: 'PLEXUS_AUTOMATION_MAX_DEPTH', yaml: 'automations.maxDepth' },
    3,
  ),
  expirySweepMs: setting(
    integer(100),
    { env: 'PLEXUS_AUTOMATION_EXPIRY_SWEEP_MS', yaml: 'automations.expirySweepMs' },
    60_000,
  ),

  fileRoots: setting(
    list(delimiter).refine(
      (roots) => roots.length > 0,
      `must list at least one folder, separated by "${delimiter}"`,
    ),
    { env: 'PLEXUS_FILE_ROOTS', yaml: 'files.roots' },
  ),
  maxPlaceholderBytes: setting(
    size,
    { env: 'PLEXUS_PLACEHOLDER_MAX_BYTES', yaml: 'files.maxPlaceholderBytes' },
    1024 ** 2,
  ),
  egressAllow: setting(
    list().superRefine((allow, ctx) => {
      try {
        parseAllowList(allow);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `has a bad entry: ${(err as Error).message}` });
      }
    }),
    { env: 'PLEXUS_EGRESS_ALLOW', yaml: 'egress.allow' },
    [],
  ),
  egressMaxResponseBytes: setting(
    size,
    { env: 'PLEXUS_EGRESS_MAX_RESPONSE_BYTES', yaml: 'egress.maxResponseBytes' },
    50 * 1024 ** 2,
  ),
  egressTimeoutMs: setting(integer(1), { env: 'PLEXUS_EGRESS_TIMEOUT_MS', yaml: 'egress.timeoutMs' }, 60_000),
  egressMaxRedirects: setting(
    integer(0),
    { env: 'PLEXUS_EGRESS_MAX_REDIRECTS', yaml: 'egress.maxRedirects' },
    5,
  ),

  secretsKey: setting(
    text.refine(
      (key) => Buffer.from(key, 'base64').length === 32,
      'must be 32 random bytes in base64, e.g. the output of `openssl rand -base64 32`',
    ),
    { env: 'PLEXUS_SECRETS_KEY', yaml: 'actions.secretsKey' },
  ),
  publicUrl: setting(
    httpUrl('must be the http(s) URL executors reach this server at, such as https://plexus.example.com'),
    { env: 'PLEXUS_PUBLIC_URL', yaml: 'actions.publicUrl' },
  ),
  maxLogLineBytes: setting(
    size,
    { env: 'PLEXUS_RUN_LOG_LINE_BYTES', yaml: 'actions.maxLogLineBytes' },
    8 * 1024,
  ),
  maxLogLines: setting(integer(1), { env: 'PLEXUS_RUN_MAX_LOG_LINES', yaml: 'actions.maxLogLines' }, 10_000),
  timeoutCheckMs: setting(integer(0), { yaml: 'actions.timeoutCheckMs' }, 30_000),
  heartbeatMs: setting(integer(10), { yaml: 'actions.heartbeatMs' }, 15_000),

  ownerRelation: setting(
    text.pipe(z.string().regex(/^[a-z][a-zA-Z0-9]{0,63}$/, 'must be a relation identifier such as ownedBy')),
    { env: 'PLEXUS_OWNER_RELATION', yaml: 'auth.ownerRelation' },
    'ownedBy',
  ),
  jwksUrl: setting(
    z
      .url({ error: (iss) => `is not a URL: "${String(iss.input)}"` })
      // Keys fetched over plain HTTP could be swapped in transit; only loopback may use it.
      .refine((s) => {
        // Runs after a failed URL check too (zod's format checks do not abort): no URL, no second message.
        if (!URL.canParse(s)) return true;
        const url = new URL(s);
        return url.protocol === 'https:' || loopbackHosts.includes(url.hostname);
      }, 'must be an https URL (plain http only on 127.0.0.1/localhost)'),
    { env: 'PLEXUS_OIDC_JWKS_URL', yaml: 'auth.oidc.jwksUrl' },
  ),
  issuer: setting(text, { env: 'PLEXUS_OIDC_ISSUER', yaml: 'auth.oidc.issuer' }),
  audience: setting(list(), { env: 'PLEXUS_OIDC_AUDIENCE', yaml: 'auth.oidc.audience' }, []),
  clockToleranceSeconds: setting(
    integer(0),
    { env: 'PLEXUS_OIDC_CLOCK_TOLERANCE', yaml: 'auth.oidc.clockToleranceSeconds' },
    60,
  ),
  algorithms: setting(
    list().refine(
      (algs) => !algs.some((alg) => alg === 'none' || alg.startsWith('HS')),
      'must be asymmetric (RS*, PS*, ES*, EdDSA): JWKS keys are public',
    ),
    { env: 'PLEXUS_OIDC_ALGORITHMS', yaml: 'auth.oidc.algorithms' },
    [],
  ),
  userClaim: setting(text, { env: 'PLEXUS_OIDC_USER_CLAIM', yaml: 'auth.oidc.claims.user' }, 'sub'),
  nameClaim: setting(text, { env: 'PLEXUS_OIDC_NAME_CLAIM', yaml: 'auth.oidc.claims.name' }, 'name'),
  teamsClaim: setting(text, { env: 'PLEXUS_OIDC_TEAMS_CLAIM', yaml: 'auth.oidc.claims.teams' }, 'groups'),
  rolesClaim: setting(text, { env: 'PLEXUS_OIDC_ROLES_CLAIM', yaml: 'auth.oidc.claims.roles' }, 'roles'),
  roleMap: setting(
    z.record(
      z.string(),
      z
        .string({ error: roleMessage })
        .regex(/^(admin|member|viewer|moderator:[a-z][a-zA-Z0-9]*)$/, roleMessage),
    ),
    { yaml: 'auth.oidc.roleMap' },
    {},
  ),
  defaultRole: setting(
    z.enum(roleNames),
    { env: 'PLEXUS_OIDC_DEFAULT_ROLE', yaml: 'auth.oidc.defaultRole' },
    'viewer',
  ),
  ratePerMinute: setting(integer(0), { env: 'PLEXUS_RATE_LIMIT', yaml: 'auth.rateLimit.perMinute' }, 1200),
  rateBurst: setting(integer(1), { env: 'PLEXUS_RATE_BURST', yaml: 'auth.rateLimit.burst' }, 200),
  failuresPerMinute: setting(
    integer(0),
    { env: 'PLEXUS_AUTH_FAILURES_PER_MINUTE', yaml: 'auth.failureLimit.perMinute' },
    30,
  ),
  failureBurst: setting(
    integer(1),
    { env: 'PLEXUS_AUTH_FAILURE_BURST', yaml: 'auth.failureLimit.burst' },
    50,
  ),
  corsOrigins: setting(
    list().superRefine((origins, ctx) => {
      for (const origin of origins) {
        if (origin === '*')
          ctx.addIssue({ code: 'custom', message: 'may not be "*"; list the origins of your UIs' });
        else if (!/^https?:\/\/[^/\s]+$/.test(origin))
          ctx.addIssue({
            code: 'custom',
            message: `entry "${origin}" must be an origin such as https://portal.example.com`,
          });
      }
    }),
    { env: 'PLEXUS_CORS_ORIGINS', yaml: 'auth.corsOrigins' },
    [],
  ),
};

type Settings = typeof settings;
type Values = {
  [K in keyof Settings]: Settings[K] extends Setting<infer T, infer D>
    ? undefined extends D
      ? T | undefined
      : T
    : never;
};

type Tree = { [key: string]: Tree | z.ZodType };

/**
 * The shape of plexus.yaml, from the settings' paths: every section a mapping, every key known
 * (a misspelt key is an error, not a setting silently left at its default), every value checked.
 */
function fileSchema(): z.ZodType<Record<string, unknown>> {
  const tree: Tree = {};
  for (const s of Object.values(settings) as Setting<unknown, unknown>[]) {
    if (!s.yaml) continue;
    const parts = s.yaml.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Tree;
    }
    node[parts[parts.length - 1]] = s.schema;
  }
  const build = (node: Tree): z.ZodObject =>
    z.strictObject(
      Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, (v instanceof z.ZodType ? v : build(v)).optional()]),
      ),
    );
  return build(tree);
}

/** The environment's settings, each under its variable's name; unrelated variables are ignored. */
function envSchema(): z.ZodType<Record<string, unknown>> {
  return z.object(
    Object.fromEntries(
      (Object.values(settings) as Setting<unknown, unknown>[])
        .filter((s) => s.env)
        .map((s) => [s.env as string, s.schema.optional()]),
    ),
  );
}

/** YAML `key:` with nothing after it counts as unset, as it always has; `sources` are left as written. */
function withoutNulls(value: unknown, top = true): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, top && k === 'sources' ? v : withoutNulls(v, false)]),
  );
}

/** One line per problem, naming the variable or the plexus.yaml path. */
function problemsOf(error: z.ZodError, name: (path: PropertyKey[]) => string): string[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => `${name([...i.path, key])}: ${i.message}`)
      : [`${name(i.path)} ${i.message}`],
  );
}

const at = (tree: unknown, path: string) =>
  path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      tree,
    );

/**
 * Reads the configuration from the environment and an optional `plexus.yaml`
 * (`PLEXUS_CONFIG`, default `./plexus.yaml`). The environment wins over the file; an empty
 * variable counts as unset. Throws `ConfigError` listing every bad setting, by the variable's
 * name or the file's path and key.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PlexusConfig {
  const file = resolve(cwd, env.PLEXUS_CONFIG ?? 'plexus.yaml');
  let y: unknown = {};
  if (existsSync(file)) {
    try {
      y = parse(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof y !== 'object' || Array.isArray(y))
      throw new ConfigError(`${file} must hold a mapping at the top`);
  } else if (env.PLEXUS_CONFIG) {
    throw new ConfigError(`PLEXUS_CONFIG points at ${file}, which does not exist`);
  }

  const problems: string[] = [];
  const fromFile = fileSchema().safeParse(withoutNulls(y), { error: configErrorMap });
  if (!fromFile.success)
    problems.push(...problemsOf(fromFile.error, (path) => `${path.map(String).join('.')} in ${file}`));
  const setEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const fromEnv = envSchema().safeParse(setEnv, { error: configErrorMap });
  if (!fromEnv.success) problems.push(...problemsOf(fromEnv.error, (path) => String(path[0])));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join('\n'));

  const v = Object.fromEntries(
    Object.entries(settings).map(([key, s]: [string, Setting<unknown, unknown>]) => [
      key,
      (s.env ? fromEnv.data?.[s.env] : undefined) ??
        (s.yaml ? at(fromFile.data, s.yaml) : undefined) ??
        s.fallback,
    ]),
  ) as Values;
  return assemble(v, cwd);
}

/** The checks across settings, and the PlexusConfig shape. */
function assemble(v: Values, cwd: string): PlexusConfig {
  const problems: string[] = [];
  const local = v.host === '0.0.0.0' || v.host === '::' ? '127.0.0.1' : v.host;
  let publicUrl = v.publicUrl;
  if (publicUrl === undefined) {
    const derived = settings.publicUrl.schema.safeParse(
      `http://${local.includes(':') ? `[${local}]` : local}:${v.port}`,
    );
    if (derived.success) publicUrl = derived.data;
    else
      problems.push(
        `PLEXUS_PUBLIC_URL (actions.publicUrl) is unset and HOST "${v.host}" gives no URL; set it to the http(s) URL executors reach this server at`,
      );
  }
  let oidc: OidcConfig | null = null;
  if (v.jwksUrl) {
    // Without both checks a token minted by the same provider for another application would pass.
    if (!v.issuer) problems.push('PLEXUS_OIDC_ISSUER (auth.oidc.issuer) is required when a JWKS URL is set');
    if (v.audience.length === 0)
      problems.push('PLEXUS_OIDC_AUDIENCE (auth.oidc.audience) is required when a JWKS URL is set');
    oidc = {
      jwksUrl: v.jwksUrl,
      issuer: v.issuer ?? '',
      audience: v.audience,
      clockToleranceSeconds: v.clockToleranceSeconds,
      algorithms: v.algorithms.length > 0 ? v.algorithms : ['RS256', 'ES256', 'PS256', 'EdDSA'],
      claims: { user: v.userClaim, name: v.nameClaim, teams: v.teamsClaim, roles: v.rolesClaim },
      roleMap: v.roleMap,
      defaultRole: v.defaultRole,
    };
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return {
    host: v.host,
    port: v.port,
    neo4j: {
      uri: v.neo4jUri,
      user: v.neo4jUser,
      password: v.neo4jPassword,
      database: v.neo4jDatabase,
      connectTimeoutMs: v.connectTimeoutMs,
      maxRetryMs: v.maxRetryMs,
      waitTimeoutMs: v.waitTimeoutMs,
    },
    dataDir: resolve(cwd, v.dataDir),
    adminToken: v.adminToken,
    logLevel: v.logLevel,
    limits: {
      jsonBodyBytes: v.jsonBodyBytes,
      ndjsonBodyBytes: v.ndjsonBodyBytes,
      batchSize: v.batchSize,
      jsonDepth: v.jsonDepth,
      jsonArrayLength: v.jsonArrayLength,
      ndjsonLineBytes: v.ndjsonLineBytes,
    },
    metricsToken: v.metricsToken,
    trustProxy: v.trustProxy,
    graphql: { rebuildDebounceMs: v.rebuildDebounceMs, modelPollMs: v.modelPollMs, workers: v.workers },
    scheduler: {
      leaseTtlMs: v.leaseTtlMs,
      sourceTickMs: v.sourceTickMs,
      scorecardRunMs: v.scorecardRunMs,
      auditPruneMs: v.auditPruneMs,
    },
    graphqlLimits: {
      maxDepth: v.maxDepth,
      maxAliases: v.maxAliases,
      maxRootFields: v.maxRootFields,
      maxCost: v.maxCost,
      timeoutMs: v.graphqlTimeoutMs,
      maxConcurrent: v.maxConcurrent,
    },
    audit: { retentionDays: v.retentionDays },
    automations: {
      pollMs: v.automationPollMs,
      maxDepth: v.automationMaxDepth,
      expirySweepMs: v.expirySweepMs,
    },
    auth: {
      ownerRelation: v.ownerRelation,
      oidc,
      rateLimit: { perMinute: v.ratePerMinute, burst: v.rateBurst },
      failureLimit: { perMinute: v.failuresPerMinute, burst: v.failureBurst },
      corsOrigins: v.corsOrigins,
    },
    demo: v.demo,
    shutdownTimeoutMs: v.shutdownTimeoutMs,
    sources: v.sources,
    files: {
      roots: (v.fileRoots ?? [cwd]).map((r) => resolve(cwd, r)),
      maxPlaceholderBytes: v.maxPlaceholderBytes,
    },
    egress: {
      allow: v.egressAllow,
      maxResponseBytes: v.egressMaxResponseBytes,
      timeoutMs: v.egressTimeoutMs,
      maxRedirects: v.egressMaxRedirects,
    },
    actions: {
      secretsKey: v.secretsKey,
      publicUrl: publicUrl as string,
      maxLogLineBytes: v.maxLogLineBytes,
      maxLogLines: v.maxLogLines,
      timeoutCheckMs: v.timeoutCheckMs,
      heartbeatMs: v.heartbeatMs,
    },
  };
}
