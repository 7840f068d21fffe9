/**
 * Connector configs as zod 4 schemas. One definition gives the parser (every problem, each with
 * a `/slash/path` and a message in plain words), the TypeScript type and the list of write-only
 * secret paths the server masks and keeps (`withoutSecrets`, `keepSecrets`).
 *
 * Connectors write their fields with zod (`z.boolean()`, `z.enum([...])`, `z.strictObject({...})`,
 * `z.record(...)`, `.optional()`, `.default(...)`) and use `field.*` only for the conventions zod
 * does not have: a non-empty string, an http(s) URL without its trailing slash, a number that may
 * arrive as text (a `${ENV}` placeholder), a list that accepts a single value, and `secret`.
 *
 * @example
 * const config = defineConfig({
 *   baseUrl: field.url().default('https://api.github.com'),
 *   org: field.string(),
 *   token: field.secret(),
 *   webhookSecret: field.secret().optional(),
 *   include: field.list(z.enum(['repositories', 'teams'])).default(['repositories', 'teams']),
 * });
 * const parsed = config.parse(raw); // { baseUrl: string; org: string; token: string; webhookSecret?: string; include: (...)[] }
 * config.secretPaths; // ['token', 'webhookSecret']
 */
import { z } from 'zod';

export { z };

/** One problem in a config: where (`/auth/token`) and what. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Thrown by `ConfigSchema.parse` with every problem found, not just the first. */
export class ConfigInvalidError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid config: ${issues.map((i) => `${i.path || '/'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigInvalidError';
  }
}

/**
 * Marks a value write-only: stored and used, never returned by the API nor logged. The mark is
 * zod metadata (`writeOnly`, the JSON Schema keyword, so `z.toJSONSchema` shows it too); a list or
 * map holding a secret is secret as a whole.
 */
function secret(): z.ZodString;
function secret<T extends z.ZodType>(schema: T): T;
function secret(schema: z.ZodType = nonEmptyString()): z.ZodType {
  return schema.meta({ writeOnly: true });
}

function nonEmptyString(): z.ZodString {
  return z.string().min(1);
}

/**
 * Numbers written as text (`"50"`, what a `${ENV}` placeholder gives) count as numbers. Not
 * `z.coerce.number()`: it turns `""`, `true` and `[]` into numbers too, where a message is due.
 */
const numberFromText = (v: unknown) =>
  typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;

/** A single value where a list is expected is a list of one (YAML convenience). */
const listFromOne = (v: unknown) => (v === undefined || Array.isArray(v) ? v : [v]);

/**
 * Plexus's field conventions on top of zod; everything else is plain zod. Every field is required
 * unless `.optional()` or `.default(...)`.
 */
export const field = {
  /** A non-empty string. */
  string: nonEmptyString,
  /** An absolute http(s) URL, returned without a trailing slash. */
  url() {
    return z.url({ protocol: z.regexes.httpProtocol }).transform((s) => s.replace(/\/+$/, ''));
  },
  /** A write-only value (default a non-empty string); see `secret` above. */
  secret,
  /** A number (`integer: true` for whole numbers); text holding a number is accepted. */
  number(opts: { min?: number; max?: number; integer?: boolean } = {}) {
    let n = z.number();
    if (opts.min !== undefined) n = n.min(opts.min);
    if (opts.max !== undefined) n = n.max(opts.max);
    if (opts.integer) n = n.int();
    return z.preprocess(numberFromText, n);
  },
  /** A list; a single value is accepted as a list of one. */
  list<T extends z.ZodType>(item: T, opts: { min?: number } = {}) {
    const list = z.array(item);
    return z.preprocess(listFromOne, opts.min === undefined ? list : list.min(opts.min));
  },
};

/** The parsed type of a config's fields. */
export type ConfigOf<S extends z.ZodRawShape> = z.output<z.ZodObject<S, z.core.$strict>>;

/** A connector's config definition: parse raw config, and say which paths are write-only. */
export interface ConfigSchema<C> {
  /** Parses; throws `ConfigInvalidError` with every issue. */
  parse(raw: unknown): C;
  /** Slash-separated paths of write-only values, e.g. `['token', 'auth/password']`. */
  secretPaths: string[];
  /** The zod schema, for docs and the UI (`z.toJSONSchema(schema)` marks secrets `writeOnly`). */
  schema: z.ZodType<C>;
}

/**
 * Defines a connector config from zod fields. Unknown keys are errors (typos should not pass
 * silently); a key set to null (`token:` with nothing after it in YAML) counts as absent. `check`
 * runs on a config that parsed, for rules across fields; it pushes issues with their paths.
 * @example defineConfig({ url: field.url(), headers: field.secret(z.record(z.string(), field.string())).optional() })
 */
export function defineConfig<S extends z.ZodRawShape>(
  shape: S,
  options: { check?: (c: ConfigOf<S>, issues: ConfigIssue[]) => void } = {},
): ConfigSchema<ConfigOf<S>> {
  const schema = z.strictObject(shape);
  return {
    schema: schema as unknown as z.ZodType<ConfigOf<S>>,
    secretPaths: secretPathsOf(schema),
    parse(raw) {
      const result = schema.safeParse(withoutNulls(raw ?? {}), { error: configErrorMap });
      if (!result.success) throw new ConfigInvalidError(issuesOf(result.error));
      const issues: ConfigIssue[] = [];
      options.check?.(result.data, issues);
      if (issues.length > 0) throw new ConfigInvalidError(issues);
      return result.data;
    },
  };
}

/** A copy without object keys whose value is null, so that `.optional()` and `.default()` apply. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

const typeName = (v: unknown) =>
  Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

const expectedNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/**
 * Zod's issues in the words Plexus's API has always used (`is required`, `must be one of a, b;
 * got "c"`); the REST answers and the UI show these messages as they are. Pass it per parse
 * (`schema.safeParse(raw, { error: configErrorMap })`); a schema's own `error` still wins.
 */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type':
      if (input === undefined || input === null) return 'is required';
      if (iss.expected === 'int') return `must be an integer; got ${input}`;
      return `must be ${expectedNames[iss.expected] ?? iss.expected}, got ${typeName(input)}`;
    case 'too_small':
      if (iss.origin === 'string')
        return Number(iss.minimum) <= 1
          ? 'must not be empty'
          : `must be at least ${iss.minimum} characters long`;
      if (iss.origin === 'array') return `must hold at least ${iss.minimum} item(s)`;
      return `must be ${iss.inclusive ? 'at least' : 'more than'} ${iss.minimum}; got ${input}`;
    case 'too_big':
      if (iss.origin === 'string') return `must be at most ${iss.maximum} characters long`;
      if (iss.origin === 'array') return `must hold at most ${iss.maximum} item(s)`;
      return `must be ${iss.inclusive ? 'at most' : 'less than'} ${iss.maximum}; got ${input}`;
    case 'invalid_value':
      return `must be one of ${iss.values.map(String).join(', ')}; got "${String(input)}"`;
    case 'invalid_format':
      if (iss.format === 'url')
        return typeof input === 'string' && URL.canParse(input.trim())
          ? `must be an http or https URL; got "${input}"`
          : `must be an absolute URL such as https://example.com; got "${input}"`;
      return iss.pattern ? `must match ${iss.pattern}; got "${String(input)}"` : undefined;
    case 'unrecognized_keys': {
      const shape = (iss.inst as z.ZodObject | undefined)?.shape;
      return shape ? `unknown key; expected one of ${Object.keys(shape).join(', ')}` : 'unknown key';
    }
    default:
      return undefined;
  }
};

const pointer = (path: readonly PropertyKey[]) =>
  path.length === 0 ? '/' : `/${path.map(String).join('/')}`;

/** One issue per unknown key (at the key's path), listed first: a typo explains a missing field. */
function issuesOf(error: z.ZodError): ConfigIssue[] {
  const unknown: ConfigIssue[] = [];
  const rest: ConfigIssue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys')
      for (const key of i.keys) unknown.push({ path: pointer([...i.path, key]), message: i.message });
    else rest.push({ path: pointer(i.path), message: i.message });
  }
  return [...unknown, ...rest];
}

const isSecret = (schema: z.core.$ZodType) => z.globalRegistry.get(schema)?.writeOnly === true;

/**
 * The slash paths of secret values: object fields are followed key by key; a list or map with a
 * secret anywhere inside is secret as a whole (its items have no stable path).
 */
function secretPathsOf(schema: z.core.$ZodType, path = '', out: string[] = []): string[] {
  if (isSecret(schema)) {
    if (!out.includes(path)) out.push(path);
    return out;
  }
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const children = (...keys: string[]) =>
    keys
      .map((k) => def[k])
      .filter((c): c is z.core.$ZodType => typeof c === 'object' && c !== null && '_zod' in c);
  switch (def.type) {
    case 'object':
      for (const [key, child] of Object.entries(def.shape as Record<string, z.core.$ZodType>))
        secretPathsOf(child, path ? `${path}/${key}` : key, out);
      break;
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
    case 'pipe':
      for (const child of children('innerType', 'in', 'out')) secretPathsOf(child, path, out);
      break;
    default: {
      const inner = [
        ...children('element', 'valueType'),
        ...((def.options as z.core.$ZodType[] | undefined) ?? []),
      ];
      if (inner.some((child) => secretPathsOf(child).length > 0) && !out.includes(path)) out.push(path);
    }
  }
  return out;
}

/** Deep copy of a config with every secret path removed: what the API may show. */
export function withoutSecrets(
  config: unknown,
  secretPaths: readonly string[],
): { config: unknown; secretsSet: string[] } {
  const copy = structuredClone(config) as Record<string, unknown>;
  const set: string[] = [];
  for (const p of secretPaths) {
    const parts = p.split('/');
    let node: unknown = copy;
    for (const part of parts.slice(0, -1))
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    const last = parts[parts.length - 1];
    if (node && typeof node === 'object' && last in (node as object)) {
      delete (node as Record<string, unknown>)[last];
      set.push(p);
    }
  }
  return { config: copy, secretsSet: set };
}

/**
 * Fills secrets a PUT left out from the stored config, so a client can send back what GET
 * returned (which never holds secrets) without erasing them.
 */
export function keepSecrets(next: unknown, previous: unknown, secretPaths: readonly string[]): unknown {
  if (!next || typeof next !== 'object' || !previous || typeof previous !== 'object') return next;
  const copy = structuredClone(next) as Record<string, unknown>;
  for (const p of secretPaths) {
    const parts = p.split('/');
    let from: unknown = previous;
    let to: unknown = copy;
    for (const part of parts.slice(0, -1)) {
      from = from && typeof from === 'object' ? (from as Record<string, unknown>)[part] : undefined;
      if (to && typeof to === 'object') {
        const t = to as Record<string, unknown>;
        if (t[part] === undefined && from && typeof from === 'object') t[part] = {};
        to = t[part];
      }
    }
    const last = parts[parts.length - 1];
    const old = from && typeof from === 'object' ? (from as Record<string, unknown>)[last] : undefined;
    if (
      old !== undefined &&
      to &&
      typeof to === 'object' &&
      (to as Record<string, unknown>)[last] === undefined
    ) {
      (to as Record<string, unknown>)[last] = old;
    }
  }
  return copy;
}
