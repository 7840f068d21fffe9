/**
 * A small declarative config parser for connectors: one definition gives the parser (with precise,
 * path-addressed errors), the TypeScript type and the list of write-only secret fields. Hand-written
 * rather than zod so the SDK keeps one dependency (jsonata) and knows which paths are secret.
 *
 * @example
 * const config = defineConfig({
 *   baseUrl: field.url({ default: 'https://api.github.com' }),
 *   org: field.string(),
 *   token: field.secret(),
 *   webhookSecret: field.secret().optional(),
 * });
 * const parsed = config.parse(raw); // { baseUrl: string; org: string; token: string; webhookSecret: string | undefined }
 */

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

/** A parser for one value. `secret` marks write-only values (the whole subtree). */
export interface Field<T> {
  readonly secret: boolean;
  readonly description?: string;
  /** Parses `value` found at `path`; pushes issues and returns undefined on failure. */
  parse(value: unknown, path: string, issues: ConfigIssue[]): T;
  /** Secret paths below this field (for objects), relative, e.g. `auth/token`. */
  secretPaths(): string[];
  optional(): Field<T | undefined>;
  default(value: T): Field<T>;
  describe(text: string): Field<T>;
}

type Parse<T> = (value: unknown, path: string, issues: ConfigIssue[]) => T;

function makeField<T>(
  parse: Parse<T>,
  opts: { secret?: boolean; description?: string; children?: () => string[] } = {},
): Field<T> {
  const f: Field<T> = {
    secret: opts.secret ?? false,
    description: opts.description,
    parse(value, path, issues) {
      if (value === undefined || value === null) {
        issues.push({ path, message: 'is required' });
        return undefined as T;
      }
      return parse(value, path, issues);
    },
    secretPaths: opts.children ?? (() => []),
    optional() {
      return {
        ...makeField<T | undefined>(parse, opts),
        parse: (v, p, i) => (v === undefined || v === null ? undefined : parse(v, p, i)),
      };
    },
    default(value) {
      const withDefault = makeField<T>(parse, opts);
      return { ...withDefault, parse: (v, p, i) => (v === undefined || v === null ? value : parse(v, p, i)) };
    },
    describe(text) {
      return makeField<T>(parse, { ...opts, description: text });
    },
  };
  return f;
}

const typeName = (v: unknown) =>
  Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

function stringParser(
  opts: { enum?: readonly string[]; pattern?: RegExp; minLength?: number } = {},
): Parse<string> {
  return (v, path, issues) => {
    if (typeof v !== 'string') {
      issues.push({ path, message: `must be a string, got ${typeName(v)}` });
      return undefined as unknown as string;
    }
    if ((opts.minLength ?? 1) > v.length) issues.push({ path, message: 'must not be empty' });
    else if (opts.enum && !opts.enum.includes(v))
      issues.push({ path, message: `must be one of ${opts.enum.join(', ')}; got "${v}"` });
    else if (opts.pattern && !opts.pattern.test(v))
      issues.push({ path, message: `must match ${opts.pattern}; got "${v}"` });
    return v;
  };
}

/** Field constructors. Every field is required unless `.optional()` or `.default(...)`. */
export const field = {
  string(opts: { enum?: readonly string[]; pattern?: RegExp } = {}): Field<string> {
    return makeField(stringParser(opts));
  },
  /** A string from a fixed set, typed as that union. */
  enum<const V extends string>(values: readonly V[]): Field<V> {
    return makeField(stringParser({ enum: values }) as Parse<V>);
  },
  /** An http(s) URL, returned without a trailing slash. */
  url(): Field<string> {
    return makeField((v, path, issues) => {
      const s = stringParser()(v, path, issues);
      if (typeof s !== 'string') return s;
      try {
        const u = new URL(s);
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          issues.push({ path, message: `must be an http or https URL; got "${s}"` });
      } catch {
        issues.push({ path, message: `must be an absolute URL such as https://example.com; got "${s}"` });
      }
      return s.replace(/\/+$/, '');
    });
  },
  /** A write-only string: stored, used, never returned by the API nor logged. */
  secret(): Field<string> {
    return makeField(stringParser(), { secret: true });
  },
  number(opts: { min?: number; max?: number; integer?: boolean } = {}): Field<number> {
    return makeField((v, path, issues) => {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) {
        issues.push({ path, message: `must be a number, got ${typeName(v)}` });
        return undefined as unknown as number;
      }
      if (opts.integer && !Number.isInteger(n))
        issues.push({ path, message: `must be an integer; got ${n}` });
      if (opts.min !== undefined && n < opts.min)
        issues.push({ path, message: `must be at least ${opts.min}; got ${n}` });
      if (opts.max !== undefined && n > opts.max)
        issues.push({ path, message: `must be at most ${opts.max}; got ${n}` });
      return n;
    });
  },
  boolean(): Field<boolean> {
    return makeField((v, path, issues) => {
      if (typeof v !== 'boolean') issues.push({ path, message: `must be true or false, got ${typeName(v)}` });
      return v as boolean;
    });
  },
  /** A list; a single value is accepted as a list of one (YAML convenience). */
  list<T>(item: Field<T>, opts: { min?: number } = {}): Field<T[]> {
    return makeField(
      (v, path, issues) => {
        const arr = Array.isArray(v) ? v : [v];
        if ((opts.min ?? 0) > arr.length)
          issues.push({ path, message: `must hold at least ${opts.min} item(s)` });
        return arr.map((x, i) => item.parse(x, `${path}/${i}`, issues));
      },
      { secret: item.secret },
    );
  },
  /** A map of string keys to values, e.g. HTTP headers. Mark `secret: true` for maps of credentials. */
  record<T>(value: Field<T>, opts: { secret?: boolean } = {}): Field<Record<string, T>> {
    return makeField(
      (v, path, issues) => {
        if (typeof v !== 'object' || Array.isArray(v) || v === null) {
          issues.push({ path, message: `must be a mapping, got ${typeName(v)}` });
          return {};
        }
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) => [k, value.parse(x, `${path}/${k}`, issues)]),
        );
      },
      { secret: opts.secret ?? value.secret },
    );
  },
  /** A nested object with its own fields; unknown keys are errors (typos should not pass silently). */
  object<F extends Record<string, Field<unknown>>>(fields: F): Field<ConfigOf<F>> {
    return makeField((v, path, issues) => parseObject(fields, v, path, issues), {
      children: () => secretPathsOf(fields),
    });
  },
  /** Anything JSON: used for free-form parts (e.g. extra query parameters). */
  any(): Field<unknown> {
    return makeField((v) => v);
  },
};

/** The parsed type of a set of fields. */
export type ConfigOf<F extends Record<string, Field<unknown>>> = {
  [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

function parseObject<F extends Record<string, Field<unknown>>>(
  fields: F,
  v: unknown,
  path: string,
  issues: ConfigIssue[],
): ConfigOf<F> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    issues.push({ path: path || '/', message: `must be a mapping, got ${typeName(v)}` });
    return {} as ConfigOf<F>;
  }
  const out: Record<string, unknown> = {};
  const raw = v as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in fields))
      issues.push({
        path: `${path}/${key}`,
        message: `unknown key; expected one of ${Object.keys(fields).join(', ')}`,
      });
  }
  for (const [key, f] of Object.entries(fields)) {
    const value = f.parse(raw[key], `${path}/${key}`, issues);
    if (value !== undefined) out[key] = value;
  }
  return out as ConfigOf<F>;
}

function secretPathsOf(fields: Record<string, Field<unknown>>): string[] {
  const out: string[] = [];
  for (const [key, f] of Object.entries(fields)) {
    if (f.secret) out.push(key);
    else for (const p of f.secretPaths()) out.push(`${key}/${p}`);
  }
  return out;
}

/** A connector's config definition: parse raw config, and say which paths are write-only. */
export interface ConfigSchema<C> {
  /** Parses; throws `ConfigInvalidError` with every issue. */
  parse(raw: unknown): C;
  /** Slash-separated paths of write-only values, e.g. `['token', 'auth/password']`. */
  secretPaths: string[];
  /** Field descriptions for docs and the UI. */
  fields: Record<string, Field<unknown>>;
}

/**
 * Defines a connector config from fields.
 * @example defineConfig({ url: field.url(), headers: field.record(field.string(), { secret: true }).optional() })
 */
export function defineConfig<F extends Record<string, Field<unknown>>>(
  fields: F,
  options: { check?: (c: ConfigOf<F>, issues: ConfigIssue[]) => void } = {},
): ConfigSchema<ConfigOf<F>> {
  return {
    fields,
    secretPaths: secretPathsOf(fields),
    parse(raw) {
      const issues: ConfigIssue[] = [];
      const c = parseObject(fields, raw ?? {}, '', issues);
      if (issues.length === 0) options.check?.(c, issues);
      if (issues.length > 0) throw new ConfigInvalidError(issues);
      return c;
    },
  };
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
