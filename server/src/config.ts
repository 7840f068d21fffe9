import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { LogLevel } from './log.ts';

/** Everything the server needs to start, after defaults are applied. */
export interface PlexusConfig {
  host: string;
  port: number;
  /** Unset when Plexus should start its embedded Neo4j (npm start). */
  neo4j: { uri?: string; user: string; password: string; database?: string };
  dataDir: string;
  /** From PLEXUS_ADMIN_TOKEN; when unset, a token is generated on first start. */
  adminToken?: string;
  logLevel: LogLevel;
  limits: { jsonBodyBytes: number; ndjsonBodyBytes: number; batchSize: number };
  graphql: { rebuildDebounceMs: number; modelPollMs: number };
  /** Audit events older than this are pruned (hourly). */
  audit: { retentionDays: number };
  /** Load the demo organisation when the catalog is empty. */
  demo: boolean;
  /** Raw `sources:` of plexus.yaml, read by the sources module. */
  sources: unknown[];
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
    },
    graphql: {
      rebuildDebounceMs: toInt('graphql.rebuildDebounceMs', y.graphql?.rebuildDebounceMs, 150),
      modelPollMs: toInt('graphql.modelPollMs', y.graphql?.modelPollMs, 5000),
    },
    audit: { retentionDays: toInt('PLEXUS_AUDIT_RETENTION_DAYS', env.PLEXUS_AUDIT_RETENTION_DAYS ?? y.audit?.retentionDays, 365, 1) },
    demo: (env.PLEXUS_DEMO ?? String(y.demo ?? 'true')) !== 'false',
    sources,
  };
}
