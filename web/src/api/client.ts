/**
 * The one HTTP client of the UI: adds the bearer token, turns the API's error shape
 * (`{error: {code, message, details}}`) and GraphQL errors into `ApiError`, and tells the
 * session when the token stopped working.
 */
import { uiErrorText } from './error-text.ts';
import type { ErrorBody } from './types.ts';

/** One problem the server pointed at (e.g. `/schema/properties/tier/type`): the documented error shape's. */
export type ErrorDetail = ErrorBody['error']['details'][number];

/**
 * An error answered by the server (or the network), with what the UI needs to show it: `message`
 * is written for people using the UI (error-text.ts), `serverMessage` is the API's own words.
 */
export class ApiError extends Error {
  readonly serverMessage: string;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(status === 200 ? message : uiErrorText(status, code, message));
    this.serverMessage = message;
    this.name = 'ApiError';
  }

  /** True when the GraphQL schema does not (yet) know a field or type: it is being rebuilt. */
  get isSchemaLag(): boolean {
    return (
      this.code === 'graphql_validation' &&
      /Cannot query field|Unknown type|Unknown argument/.test(this.message)
    );
  }
}

/**
 * Reads the server caps per caller (GraphQL, search, paths, impact, saved queries: each holds a
 * database session while it runs; see app.ts), as it mounts them.
 */
const heavyRead = /^\/(graphql|api\/v1\/(search|paths|blueprints\/[^/]+\/entities\/[^/]+\/impact|queries\/[^/]+\/run))(\/|\?|$)/;

/** Heavy reads one page sends at once: below the server's default cap (4), leaving room for another tab. */
export const heavyReadsAtOnce = 3;

/** A first-come first-served gate letting `max` calls run at once. */
function makeGate(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (run) => {
    if (running >= max) await new Promise<void>((go) => waiting.push(go));
    else running++;
    try {
      return await run();
    } finally {
      // The slot passes straight to the next in line (running stays the same), else frees up.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** What the UI calls; one instance per signed-in session. */
export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/**
 * Creates the client. `token` is read on every call so signing out takes effect at once;
 * `onUnauthorized` runs on any 401 (expired or revoked token).
 */
export function makeApi(options: {
  token: () => string | null;
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  /** Scales the Retry-After waits (tests). */
  retryScale?: number;
}): Api {
  const maxAttempts = 8;
  const retryScale = options.retryScale ?? 1;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  // A page's heavy reads queue here instead of tripping the server's cap and retrying after 429s:
  // on a busy server the retries ran out before the reads ahead of them had finished.
  const heavyGate = makeGate(heavyReadsAtOnce);

  function request<T>(method: string, path: string, body?: unknown, graphql = false): Promise<T> {
    return heavyRead.test(path) ? heavyGate(() => send<T>(method, path, body, graphql)) : send<T>(method, path, body, graphql);
  }

  async function send<T>(method: string, path: string, body: unknown, graphql: boolean): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-plexus-origin': 'ui' };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    // A page sends several reads at once; the server caps heavy reads in flight per caller (429
    // with Retry-After), so the ones over the cap wait their turn instead of failing.
    for (let attempt = 1; ; attempt++) {
      try {
        res = await doFetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new ApiError(
          0,
          'network',
          `Cannot reach the Plexus server (${(err as Error).message}). Check that it is running.`,
        );
      }
      if (res.status !== 429 || attempt >= maxAttempts) break;
      const after = Number(res.headers.get('retry-after'));
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Math.min(5, after > 0 ? after : 1) * 1000 * retryScale));
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (res.status === 401) options.onUnauthorized?.();
    // GraphQL answers its own errors in the body (a 400 for a query the schema rejects).
    if (graphql && res.status !== 401 && Array.isArray((parsed as { errors?: unknown } | null)?.errors))
      return parsed as T;
    if (!res.ok) {
      const error = (
        parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | null
      )?.error;
      throw new ApiError(
        res.status,
        error?.code ?? `http_${res.status}`,
        error?.message ?? `${method} ${path} failed with HTTP ${res.status}`,
        error?.details ?? [],
      );
    }
    return parsed as T;
  }

  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body ?? {}),
    put: (path, body) => request('PUT', path, body),
    delete: (path) => request('DELETE', path),
    async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const res = await request<{
        data?: T;
        errors?: { message: string; extensions?: { code?: string; details?: ErrorDetail[] } }[];
      }>('POST', '/graphql', { query, variables }, true);
      if (res.errors && res.errors.length > 0) {
        const first = res.errors[0];
        // Validation errors come without extensions.code from @neo4j/graphql; name them so callers can tell.
        const code = first.extensions?.code ?? (res.data ? 'graphql_partial' : 'graphql_validation');
        throw new ApiError(
          200,
          code === 'GRAPHQL_VALIDATION_FAILED' ? 'graphql_validation' : String(code),
          first.message,
          first.extensions?.details ?? [],
        );
      }
      return res.data as T;
    },
  };
}

/** Encodes one path segment (identifiers may hold `/`, `:` or spaces). */
export const seg = (s: string) => encodeURIComponent(s);

/**
 * Runs a GraphQL call, retrying for a few seconds while the server's schema lags behind a
 * blueprint change (it keeps serving the old schema during a rebuild).
 */
export async function withSchemaRetry<T>(
  call: () => Promise<T>,
  onWait?: () => void,
  deadlineMs = 15_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  let delay = 200;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError) || !err.isSchemaLag || Date.now() + delay > until) throw err;
      onWait?.();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
