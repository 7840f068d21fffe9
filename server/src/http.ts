import type { Context } from 'hono';
import type { AccessControl } from './auth/access.ts';
import { type Principal, type Role, roleAtLeast } from './auth/principal.ts';
import type { WriteContext } from './catalog/events.ts';
import { BadRequestError, ForbiddenError, PayloadTooLargeError } from './errors.ts';

/**
 * Variables the auth middleware puts on the Hono context: the caller, and the access control
 * every permission question goes to (auth/authorize.ts decides).
 */
export type AppEnv = { Variables: { principal: Principal; requestId: string; access: AccessControl } };

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
  return {
    actor: principal.name,
    source: declared && origins.has(declared) ? declared : fallback,
    ...(runId ? { runId } : {}),
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

/** Streams the body as text chunks, refusing more than `limit` bytes without reading past it. */
async function streamBody(c: Context, limit: number, onText: (text: string) => void): Promise<void> {
  const length = Number(c.req.header('content-length') ?? 'NaN');
  if (length > limit) throw new PayloadTooLargeError(limit);
  const body = c.req.raw.body;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new PayloadTooLargeError(limit);
    }
    onText(decoder.decode(value, { stream: true }));
  }
  onText(decoder.decode());
}

/** Reads the body as text, refusing more than `limit` bytes. */
export async function readBodyText(c: Context, limit: number): Promise<string> {
  const parts: string[] = [];
  await streamBody(c, limit, (t) => parts.push(t));
  return parts.join('');
}

/** Parses a JSON body with a size limit; malformed JSON is a 400 that says where it broke. */
export async function readJson(c: Context, limit: number): Promise<unknown> {
  const text = await readBodyText(c, limit);
  if (text.trim() === '') throw new BadRequestError('request body is empty; send a JSON document');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Streams an NDJSON body line by line, calling `onLine` with each parsed value and its line
 * number; enforces the byte limit as it goes.
 */
export async function readNdjson(c: Context, limit: number, onLine: (value: unknown, line: number) => void): Promise<void> {
  let buf = '';
  let line = 0;
  const handle = (raw: string) => {
    line++;
    const text = raw.trim();
    if (text === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new BadRequestError(`line ${line} of the NDJSON body is not valid JSON: ${(err as Error).message}`, [{ index: line - 1, message: 'invalid JSON' }]);
    }
    onLine(value, line);
  };
  await streamBody(c, limit, (text) => {
    buf += text;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      handle(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
  if (buf.trim() !== '') handle(buf);
}
