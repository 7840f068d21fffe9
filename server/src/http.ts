import type { WriteContext } from '@plexus/contract';
import type { Context } from 'hono';
import type { AccessControl } from './auth/access.ts';
import { type Principal, type Role, roleAtLeast } from './auth/principal.ts';
import { BadRequestError, ForbiddenError, LimitExceededError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors.ts';

/**
 * Variables the auth middleware puts on the Hono context: the caller, and the access control
 * every permission question goes to (auth/authorize.ts decides).
 */
export type AppEnv = { Variables: { principal: Principal; requestId: string; access: AccessControl; bodyLimits?: BodyLimits } };

/**
 * Structural limits every JSON body reader applies (besides the byte limit a route passes): how
 * deep objects and arrays may nest, how long one array may be, and how long one NDJSON line may
 * be. The app puts the configured ones on the context; `defaultBodyLimits` otherwise.
 */
export interface BodyLimits {
  maxDepth: number;
  maxArrayLength: number;
  maxLineBytes: number;
}

/** Limits used when the app set none (PLEXUS_MAX_JSON_DEPTH, PLEXUS_MAX_JSON_ARRAY, PLEXUS_MAX_NDJSON_LINE). */
export const defaultBodyLimits: BodyLimits = { maxDepth: 64, maxArrayLength: 100_000, maxLineBytes: 4 * 1024 ** 2 };

/** Names of `plexus apply` sets (`x-plexus-apply-set`). */
export const applySetName = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Origins a client may declare with `x-plexus-origin`; anything else is ignored. */
const origins = new Set(['ui', 'cli']);

/**
 * The write context of a request: the caller, and the origin the client declares
 * (`x-plexus-origin: ui|cli`), else `fallback` (`api`; `graphql` on /graphql).
 */
export function writeContext(c: Context<AppEnv>, fallback = 'api'): WriteContext {
  const principal = c.get('principal');
  const declared = c.req.header('x-plexus-origin');
  const runId = c.req.query('runId');
  const applySet = c.req.header('x-plexus-apply-set');
  if (applySet !== undefined && !applySetName.test(applySet)) {
    throw new BadRequestError(
      `x-plexus-apply-set "${applySet.slice(0, 80)}" is not an apply set name: 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return {
    actor: principal.name,
    source: declared && origins.has(declared) ? declared : fallback,
    ...(runId ? { runId } : {}),
    ...(applySet ? { applySet } : {}),
  };
}

/**
 * Throws 403 unless the caller's role includes `role`. For operations not tied to a blueprint;
 * entity and blueprint permissions go through AccessControl / auth/authorize.ts. `admin` means
 * admin of everything: a token scoped to some blueprints is not.
 */
export function requireRole(c: Context<AppEnv>, role: Role, what: string): Principal {
  const p = c.get('principal');
  if (!roleAtLeast(p.role, role)) throw new ForbiddenError(`${what} needs the ${role} role; you have ${p.role}`);
  if (role === 'admin' && p.blueprints) throw new ForbiddenError(`${what} needs the admin role and a token that is not scoped to blueprints`);
  return p;
}

/** Media types a JSON body may be sent as. */
const jsonTypes = ['application/json'];
/** Media types an NDJSON body may be sent as. */
export const ndjsonTypes = ['application/x-ndjson', 'application/ndjson'];

/** The media type of the request, lower-cased, without parameters ('' when absent). */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/** True when the request carries a body (a stream that is not declared empty). */
function hasBody(c: Context): boolean {
  return c.req.raw.body !== null && c.req.header('content-length') !== '0';
}

/**
 * 415 unless the request's Content-Type is one of `types` (and its charset, if any, UTF-8). A
 * request without a body passes: there is nothing to misread. Text and form bodies are refused
 * rather than guessed at.
 */
export function assertContentType(c: Context, types: string[]): void {
  if (!hasBody(c)) return;
  const header = c.req.header('content-type') ?? '';
  const type = mediaType(c);
  if (!types.includes(type)) {
    throw new UnsupportedMediaTypeError(
      `${type ? `Content-Type "${type}" is not accepted here` : 'the request has a body but no Content-Type'}; send ${types.join(' or ')}`,
    );
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(header)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`charset "${charset}" is not accepted; send UTF-8 (or leave the charset out)`);
  }
}

/** The configured structural limits of this request. */
function limitsOf(c: Context): BodyLimits {
  return (c.get('bodyLimits' as never) as BodyLimits | undefined) ?? defaultBodyLimits;
}

/**
 * Streams the body's bytes to `onChunk`, refusing more than `limit` bytes without reading past
 * it (the declared Content-Length is checked before anything is read).
 *
 * Hand-written rather than Hono's `bodyLimit` middleware: the limit depends on what the handler
 * reads (a JSON document, an NDJSON stream whose limit is per line and whose total is unbounded,
 * a webhook delivery), which a middleware mounted on paths cannot know, and the bytes are decoded
 * and split into NDJSON lines while they arrive, so a 100 MB load is never held whole.
 */
async function streamBytes(c: Context, limit: number, onChunk: (bytes: Uint8Array) => void): Promise<void> {
  const length = Number(c.req.header('content-length') ?? 'NaN');
  if (length > limit) throw new PayloadTooLargeError(limit);
  const body = c.req.raw.body;
  if (!body) return;
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw new PayloadTooLargeError(limit);
      onChunk(value);
    }
  } catch (err) {
    // Stop the sender: nothing more of this body is read.
    await reader.cancel().catch(() => {});
    throw err;
  }
}

function notUtf8(where: string): BadRequestError {
  return new BadRequestError(`${where} is not valid UTF-8; send UTF-8 text`);
}

/**
 * Reads the body as UTF-8 text, refusing more than `limit` bytes (413), invalid UTF-8 (400) and
 * a Content-Type outside `types` (415; JSON by default).
 */
export async function readBodyText(c: Context, limit: number, types: string[] = jsonTypes): Promise<string> {
  assertContentType(c, types);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts: string[] = [];
  try {
    await streamBytes(c, limit, (bytes) => parts.push(decoder.decode(bytes, { stream: true })));
    parts.push(decoder.decode());
  } catch (err) {
    if (err instanceof TypeError) throw notUtf8('the request body');
    throw err;
  }
  return parts.join('');
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** RFC 6901 escaping of one path segment. */
const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks nesting depth and array lengths of JSON text in one linear pass, before it is parsed,
 * so neither a 100k-deep document nor a million-element array reaches code that recurses or
 * spreads over it. Throws 413 saying which limit and where (character offset).
 */
export function checkJsonShape(text: string, limits: BodyLimits, where = 'the request body'): void {
  const { maxDepth, maxArrayLength } = limits;
  // Per open container: 1 for an array, 0 for an object; and the array's element count so far.
  const kinds = new Uint8Array(maxDepth + 1);
  const counts = new Uint32Array(maxDepth + 1);
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      // Skip to the closing quote: one not preceded by an odd number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return; // unterminated: JSON.parse reports it
        let k = j - 1;
        while (text.charCodeAt(k) === 92 /* \ */) k--;
        if ((j - k) % 2 === 1) break;
      }
      i = j;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (depth === maxDepth) {
        throw new LimitExceededError(`${where} nests objects and arrays deeper than ${maxDepth} levels (at character ${i}); flatten it`, [
          { path: `@${i}`, message: `nesting deeper than ${maxDepth}` },
        ]);
      }
      depth++;
      kinds[depth] = ch === 91 ? 1 : 0;
      counts[depth] = 0;
      if (ch === 91) {
        // An element starts right after '[' unless the array is empty.
        let k = i + 1;
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 10 || text.charCodeAt(k) === 13 || text.charCodeAt(k) === 9)) k++;
        if (text.charCodeAt(k) !== 93) counts[depth] = 1;
      }
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      if (depth > 0) depth--;
    } else if (ch === 44 /* , */ && depth > 0 && kinds[depth] === 1) {
      if (++counts[depth] > maxArrayLength) {
        throw new LimitExceededError(`${where} holds an array longer than ${maxArrayLength} elements (at character ${i}); split it into several requests`, [
          { path: `@${i}`, message: `array longer than ${maxArrayLength}` },
        ]);
      }
    }
  }
}

/**
 * 422 naming every `__proto__`, `constructor` or `prototype` key in a parsed body, with its
 * path: such keys are never data, and code that merges objects could be steered by them.
 */
export function assertNoForbiddenKeys(value: unknown, where = 'the request body'): void {
  const found: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (found.length >= 20 || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${path}/${i}`);
      return;
    }
    for (const key of Object.keys(v)) {
      const at = `${path}/${pointer(key)}`;
      if (forbiddenKeys.has(key)) found.push(at);
      walk((v as Record<string, unknown>)[key], at);
    }
  };
  walk(value, '');
  if (found.length > 0) {
    throw new ValidationError(
      `${where} uses a reserved key (${found.map((p) => `"${p}"`).join(', ')}); __proto__, constructor and prototype are not allowed as keys anywhere`,
      found.map((path) => ({ path, message: `reserved key "${path.slice(path.lastIndexOf('/') + 1)}"` })),
    );
  }
}

/**
 * Parses JSON text under the structural limits: 413 past them, 400 when malformed (saying
 * where it broke), 422 for reserved keys.
 */
export function parseJsonText(text: string, limits: BodyLimits = defaultBodyLimits, where = 'the request body'): unknown {
  checkJsonShape(text, limits, where);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  assertNoForbiddenKeys(value, where);
  return value;
}

/**
 * Parses a JSON body (Content-Type application/json) with a size limit and the structural
 * limits; malformed JSON is a 400 that says where it broke. `optional` lets an empty body be
 * `undefined` instead of a 400.
 */
export async function readJson(c: Context, limit: number, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = await readBodyText(c, limit);
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new BadRequestError('request body is empty; send a JSON document');
  }
  return parseJsonText(text, limitsOf(c));
}

/**
 * Streams an NDJSON body (Content-Type application/x-ndjson) line by line, calling `onLine`
 * with each parsed value and its line number. Linear in the body's size: lines are split on the
 * raw bytes (a newline byte never occurs inside a UTF-8 sequence) and each line is decoded and
 * parsed once. A line longer than the line limit is a 413 naming it, raised as soon as the limit
 * is passed, so the rest of the body is never read.
 */
export async function readNdjson(c: Context, limit: number, onLine: (value: unknown, line: number) => void): Promise<void> {
  assertContentType(c, ndjsonTypes);
  const limits = limitsOf(c);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 0;
  const handle = (bytes: Uint8Array) => {
    line++;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw notUtf8(`line ${line} of the NDJSON body`);
    }
    text = text.trim();
    if (text === '') return;
    let value: unknown;
    try {
      value = parseJsonText(text, limits, `line ${line} of the NDJSON body`);
    } catch (err) {
      if (err instanceof BadRequestError) throw new BadRequestError(err.message, [{ index: line - 1, message: 'invalid JSON' }]);
      throw err;
    }
    onLine(value, line);
  };
  const tooLong = () =>
    new LimitExceededError(`line ${line + 1} of the NDJSON body is longer than ${limits.maxLineBytes} bytes (the line limit, PLEXUS_MAX_NDJSON_LINE); send one record a line`, [
      { index: line, message: `line longer than ${limits.maxLineBytes} bytes` },
    ]);
  const takePending = (tail: Uint8Array): Uint8Array => {
    if (pending.length === 0) return tail;
    pending.push(tail);
    const whole = Buffer.concat(pending, pendingBytes + tail.byteLength);
    pending = [];
    pendingBytes = 0;
    return whole;
  };
  await streamBytes(c, limit, (chunk) => {
    let start = 0;
    for (;;) {
      const i = chunk.indexOf(10, start);
      if (i < 0) break;
      if (pendingBytes + (i - start) > limits.maxLineBytes) throw tooLong();
      handle(takePending(chunk.subarray(start, i)));
      start = i + 1;
    }
    if (start < chunk.byteLength) {
      const rest = chunk.subarray(start);
      if (pendingBytes + rest.byteLength > limits.maxLineBytes) throw tooLong();
      // Copied: the stream may reuse the chunk's memory.
      pending.push(Uint8Array.from(rest));
      pendingBytes += rest.byteLength;
    }
  });
  if (pendingBytes > 0) handle(takePending(new Uint8Array(0)));
}

/** Media types a GraphQL POST may be sent as (yoga's JSON ones; no form or text bodies). */
const graphqlTypes = ['application/json', 'application/graphql+json', 'application/graphql-response+json'];

/**
 * A GraphQL POST checked like a REST JSON body, as a new Request for yoga to parse: 415 for
 * other content types, 413/400/422 as `readJson`.
 */
export async function readGraphqlRequest(c: Context, limit: number): Promise<Request> {
  const text = await readBodyText(c, limit, graphqlTypes);
  if (text.trim() !== '') parseJsonText(text, limitsOf(c));
  const headers = new Headers(c.req.raw.headers);
  headers.delete('content-length');
  return new Request(c.req.raw.url, { method: 'POST', headers, body: text, signal: c.req.raw.signal });
}
