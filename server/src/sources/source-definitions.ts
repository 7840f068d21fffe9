/**
 * Source definitions: the shape a client gives (`plexus.yaml` `sources:` or `POST /api/v1/sources`),
 * its checks (every problem a 422 detail with its path), and a stored definition compiled into
 * what a run or a webhook needs (connector, parsed config, compiled mapping).
 */
import {
  type CompiledMapping,
  ConfigInvalidError,
  type Connector,
  compileMapping,
  type FilePolicy,
  type MappingDocument,
  MappingInvalidError,
  readMappingDocument,
} from '@plexus/connector-sdk';
import { BadRequestError, ConflictError, type ErrorDetail, ValidationError } from '../errors.ts';
import { parseSchedule } from './schedule.ts';

/** A source as a client defines it (`plexus.yaml` `sources:` or `POST /api/v1/sources`). */
export interface SourceDefinition {
  identifier: string;
  type: string;
  config: Record<string, unknown>;
  /** Replaces the connector's default mapping. */
  mapping?: MappingDocument | null;
  /** How often to run a full sync, e.g. `15m`; none means on demand (and webhooks). */
  schedule?: string | null;
  /** Largest share of the source's entities one sync may delete (0–1). Default 0.9. */
  deletionThreshold?: number;
}

/** A definition ready to run: its connector, parsed config and compiled mapping. */
export interface Prepared<C = unknown> {
  connector: Connector<C>;
  config: C;
  mapping: CompiledMapping;
}

/** What the checks need: the registered connector types and where their files may be. */
export interface DefinitionDeps {
  /** Connector types by name; `registerConnector` adds to it. */
  connectors: Map<string, Connector<any>>;
  files: FilePolicy;
  baseDir: string;
}

const identifierPattern = /^[a-z][a-z0-9-]{0,62}$/;

/** A plain object (not null, not an array): what a definition and its config must be. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills `${NAME}` in plexus.yaml source configs from the environment, so secrets stay out of the file. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) missing.push(`${path}: environment variable ${name} is not set`);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${path}/${i}`, missing));
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, `${path}/${k}`, missing)]),
    );
  return value;
}

/** Checks a definition and compiles what it needs; every problem is a 422 detail with its path. */
export function check(
  deps: DefinitionDeps,
  raw: unknown,
  pathIdentifier?: string,
): { def: Required<SourceDefinition>; prepared: Prepared } {
  const { connectors, files, baseDir } = deps;
  const details: ErrorDetail[] = [];
  if (!isObject(raw))
    throw new BadRequestError(
      'a source is an object: {"identifier", "type", "config", "mapping"?, "schedule"?}',
    );
  const allowed = new Set(['identifier', 'type', 'config', 'mapping', 'schedule', 'deletionThreshold']);
  for (const k of Object.keys(raw))
    if (!allowed.has(k))
      details.push({ path: `/${k}`, message: `unknown key; a source has ${[...allowed].join(', ')}` });
  const identifier = raw.identifier ?? pathIdentifier;
  if (typeof identifier !== 'string' || !identifierPattern.test(identifier)) {
    details.push({
      path: '/identifier',
      message:
        'identifier must be lower-case letters, digits and dashes, starting with a letter (at most 63)',
    });
  } else if (pathIdentifier && identifier !== pathIdentifier) {
    details.push({
      path: '/identifier',
      message: `identifier "${identifier}" does not match the URL's "${pathIdentifier}"`,
    });
  }
  const connector = typeof raw.type === 'string' ? connectors.get(raw.type) : undefined;
  if (!connector)
    details.push({
      path: '/type',
      message: `type must be one of ${[...connectors.keys()].join(', ')}; got ${JSON.stringify(raw.type)}`,
    });
  let config: unknown;
  if (connector) {
    try {
      config = connector.config.parse(raw.config ?? {});
    } catch (err) {
      if (!(err instanceof ConfigInvalidError)) throw err;
      for (const i of err.issues) details.push({ path: `/config${i.path}`, message: i.message });
    }
    // Files a source names must lie inside the server's allowed roots (PLEXUS_FILE_ROOTS).
    if (config !== undefined)
      for (const f of connector.filePaths?.(config) ?? []) {
        const why = files.checkConfiguredPath(f.path, baseDir);
        if (why) details.push({ path: `/config${f.pointer}`, message: why });
      }
  }
  let mappingDoc: MappingDocument | null = null;
  let mapping: CompiledMapping | undefined;
  if (raw.mapping !== undefined && raw.mapping !== null) {
    try {
      mappingDoc = readMappingDocument(raw.mapping as MappingDocument | string);
      mapping = compileMapping(mappingDoc, { functions: connector?.mappingFunctions });
    } catch (err) {
      if (err instanceof MappingInvalidError)
        for (const i of err.issues)
          details.push({ path: `/mapping${i.path === '/' ? '' : i.path}`, message: i.message });
      else details.push({ path: '/mapping', message: (err as Error).message });
    }
  } else if (connector) {
    mapping = compileMapping(connector.defaultMapping, { functions: connector.mappingFunctions });
  }
  let schedule: string | null = null;
  if (raw.schedule !== undefined && raw.schedule !== null && raw.schedule !== '') {
    const ms =
      typeof raw.schedule === 'string'
        ? parseSchedule(raw.schedule)
        : 'schedule must be a string such as "15m"';
    if (typeof ms === 'string') details.push({ path: '/schedule', message: ms });
    else schedule = raw.schedule as string;
    if (connector && !connector.fetch)
      details.push({
        path: '/schedule',
        message: `a ${connector.type} source is fed by webhooks only; it has no sync to schedule`,
      });
  }
  const threshold = raw.deletionThreshold ?? 0.9;
  if (typeof threshold !== 'number' || threshold < 0 || threshold > 1)
    details.push({ path: '/deletionThreshold', message: 'deletionThreshold must be a number from 0 to 1' });
  if (details.length > 0)
    throw new ValidationError(
      `the source definition is invalid (${details.length} problem${details.length === 1 ? '' : 's'})`,
      details,
    );
  return {
    def: {
      identifier: identifier as string,
      type: connector!.type,
      config: raw.config as Record<string, unknown>,
      mapping: mappingDoc,
      schedule,
      deletionThreshold: threshold as number,
    },
    prepared: { connector: connector!, config, mapping: mapping! },
  };
}

/** A stored definition compiled for a run or a webhook; 409 when no connector has its type. */
export function prepare(
  deps: Pick<DefinitionDeps, 'connectors'>,
  stored: { identifier: string; type: string; config: string; mapping: string | null },
): Prepared {
  const connector = deps.connectors.get(stored.type);
  if (!connector)
    throw new ConflictError(
      `source "${stored.identifier}" has type "${stored.type}", which this server has no connector for`,
    );
  const raw = JSON.parse(stored.config);
  const config = connector.config.parse(raw);
  const mapping = compileMapping(
    stored.mapping ? (JSON.parse(stored.mapping) as MappingDocument) : connector.defaultMapping,
    { functions: connector.mappingFunctions },
  );
  return { connector, config, mapping };
}
