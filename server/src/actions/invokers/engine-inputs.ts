import { compileJsonata } from '@plexus/contract';
import type { InvocationPayload } from '../types.ts';

/**
 * What CI engines (GitHub workflow inputs, GitLab pipeline variables) receive: a flat map of
 * strings. Shared by the GitHub and GitLab invokers.
 */

/** A JSONata template's problems, for the invoker's `validate` (empty when it compiles). */
export function templateProblems(template: unknown, path: string): { path: string; message: string }[] {
  if (template === undefined) return [];
  if (
    typeof template !== 'object' ||
    template === null ||
    typeof (template as { jsonata?: unknown }).jsonata !== 'string'
  )
    return [{ path, message: 'must be {"jsonata": "<expression>"}' }];
  try {
    compileJsonata((template as { jsonata: string }).jsonata);
    return [];
  } catch (err) {
    return [{ path: `${path}/jsonata`, message: `does not compile: ${(err as Error).message}` }];
  }
}

/**
 * The values to send: the template evaluated over the invocation payload, or the action's inputs
 * when there is no template. Throws an Error (for the run's summary) when the template does not
 * give an object.
 */
export async function renderEngineInputs(
  template: { jsonata: string } | undefined,
  payload: InvocationPayload,
): Promise<Record<string, unknown>> {
  if (!template) return { ...payload.inputs };
  let value: unknown;
  try {
    value = await compileJsonata(template.jsonata).evaluate(payload);
  } catch (err) {
    throw new Error(`the inputs template failed: ${(err as Error).message}`);
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new Error('the inputs template must give an object of names to values');
  return { ...(value as Record<string, unknown>) };
}

/**
 * Engines take strings only: strings pass as they are, numbers and booleans as their text,
 * objects and arrays as JSON; null and undefined are left out.
 * @example stringifyEngineInputs({ replicas: 3, dryRun: false, tags: ['a'] }) // { replicas: '3', dryRun: 'false', tags: '["a"]' }
 */
export function stringifyEngineInputs(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** Keys of `config` that are not in `known`, as field problems naming what is allowed. */
export function unknownKeys(
  config: object,
  known: readonly string[],
  what: string,
): { path: string; message: string }[] {
  return Object.keys(config)
    .filter((k) => !known.includes(k))
    .map((k) => ({
      path: k,
      message: `unknown key "${k}"; ${what} has ${known.filter((x) => x !== 'type').join(', ')}`,
    }));
}

/** An `http(s)://` base URL without a trailing slash, or a problem message. */
export function checkBaseUrl(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string') return 'must be a URL string';
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
    if (u.search || u.hash) return 'must not have a query or fragment';
    return null;
  } catch {
    return `"${value}" is not a URL`;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
