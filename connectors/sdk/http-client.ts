/**
 * The HTTP client connectors use: fetch-based, with a base URL (for self-hosted variants such as
 * GitHub Enterprise), retries with exponential backoff, rate-limit waits (`Retry-After`,
 * `X-RateLimit-Reset`) and pagination helpers (Link headers, cursors, page numbers, offsets).
 * Time and cancellation come from the connector context so tests never wait for real.
 */
import type { Clock, ConnectorLogger } from './contract.ts';
import { type EgressPolicy, EgressRefusedError, type TlsIdentity } from './egress.ts';

/** Options a connector chooses per client. */
export interface HttpClientOptions {
  /** Prefix for relative paths, e.g. `https://ghe.example.com/api/v3`. */
  baseUrl?: string;
  /** Sent with every request (authorization, accept, API version). */
  headers?: Record<string, string>;
  /** Attempts after the first for network errors, 429 and 5xx. Default 4. */
  retries?: number;
  /** First backoff; doubles each retry, with jitter. Default 500 ms. */
  backoffMs?: number;
  /** Longest single backoff. Default 30 s. */
  maxBackoffMs?: number;
  /** A rate-limit wait longer than this fails the request instead. Default 5 min. */
  maxRateLimitWaitMs?: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
  /**
   * Header names that must not follow a redirect to another origin, beyond the built-in ones
   * (authorization, cookies, API-key and token headers).
   */
  secretHeaders?: string[];
  /** TLS identity for https (a private CA, a client certificate). */
  tls?: TlsIdentity;
}

/**
 * What the SDK injects: the egress policy every request goes through, clock, logger and
 * cancellation. `fetch` replaces the transport entirely (tests of the client itself).
 */
export interface HttpClientDeps {
  egress?: EgressPolicy;
  fetch?: typeof fetch;
  clock: Clock;
  logger?: ConnectorLogger;
  signal?: AbortSignal;
}

/** A decoded response: JSON bodies parsed, anything else as text. */
export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  url: string;
}

/** Per-request options. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  /** Statuses that are not errors (default: 2xx). */
  accept?: (status: number) => boolean;
}

/** How a listing endpoint pages. */
export type PaginateOptions = RequestOptions & {
  /** Where the items are: a dotted path into the body (`data.items`) or a function. Default: the body when it is a list. */
  items?: string | ((body: unknown) => unknown[]);
  /** Stop after this many pages (safety net against endless cursors). Default 10 000. */
  maxPages?: number;
} & (
    | { strategy: 'none' }
    /** RFC 8288 `Link: <...>; rel="next"` (GitHub, GitLab). */
    | { strategy: 'link' }
    /** A cursor from the body (dotted path or function) sent back as a query parameter. */
    | {
        strategy: 'cursor';
        cursorParam?: string;
        nextCursor: string | ((body: unknown, res: HttpResponse) => string | null | undefined);
      }
    /** `?page=N` until a page is empty or `hasMore` (dotted path) is false. */
    | {
        strategy: 'page';
        pageParam?: string;
        startPage?: number;
        pageSizeParam?: string;
        pageSize?: number;
        hasMore?: string;
      }
    /** `?offset=N&limit=M` until a short page or `hasMore` is false (PagerDuty's `more`). */
    | { strategy: 'offset'; offsetParam?: string; limitParam?: string; limit?: number; hasMore?: string }
  );

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  body: unknown;
  response: HttpResponse;
  /** 0-based page number. */
  index: number;
}

/** The client's interface. */
export interface HttpClient {
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  /** GET and return the body. */
  get<T = unknown>(path: string, options?: RequestOptions): Promise<T>;
  /** Pages through a listing. */
  paginate<T = unknown>(path: string, options: PaginateOptions): AsyncIterable<Page<T>>;
  /** The items of every page, one by one. */
  items<T = unknown>(path: string, options: PaginateOptions): AsyncIterable<T>;
}

/** A response the client gave up on: status, URL and the start of the body, never the headers sent. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly bodySnippet: string,
    message?: string,
  ) {
    super(message ?? `HTTP ${status} from ${url}${bodySnippet ? `: ${bodySnippet}` : ''}`);
    this.name = 'HttpError';
  }
}

/** Reads a dotted path (`meta.next_cursor`) from a JSON value. */
export function readPath(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.')) {
    if (part === '') continue;
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Parses an RFC 8288 Link header into rel → URL. */
export function parseLinkHeader(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>(.*)/.exec(part.trim());
    if (!m) continue;
    const rel = /rel="?([^";]+)"?/i.exec(m[2]);
    if (rel) for (const r of rel[1].split(/\s+/)) out[r.toLowerCase()] = m[1];
  }
  return out;
}

/**
 * How long a response asks us to wait before trying again, in ms, or null when it does not.
 * Understands `Retry-After` (seconds or HTTP date), `X-RateLimit-Reset`/`RateLimit-Reset`
 * (epoch seconds, or seconds from now when small) when the remaining quota is 0 or the status is 429.
 */
export function rateLimitWaitMs(res: { status: number; headers: Headers }, now: number): number | null {
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter !== null && (res.status === 429 || res.status === 503 || res.status === 403)) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const remaining = res.headers.get('x-ratelimit-remaining') ?? res.headers.get('ratelimit-remaining');
  const reset = res.headers.get('x-ratelimit-reset') ?? res.headers.get('ratelimit-reset');
  if (
    reset !== null &&
    (res.status === 429 || ((res.status === 403 || res.status === 429) && remaining === '0'))
  ) {
    const n = Number(reset);
    if (Number.isFinite(n)) {
      // Epoch seconds (GitHub) vs. delta seconds (IETF draft RateLimit-Reset).
      return n > 1e9 ? Math.max(0, n * 1000 - now) : Math.max(0, n * 1000);
    }
  }
  if (res.status === 429) return null;
  return null;
}

const retryable = (status: number) =>
  status === 429 || status === 502 || status === 503 || status === 504 || status === 500;

/**
 * Creates a client. Relative paths join `baseUrl`; absolute URLs (e.g. from a Link header) are
 * used as they are.
 * @example const gh = createHttpClient({ baseUrl: 'https://api.github.com' }, { clock }); await gh.get('/orgs/acme/repos')
 */
export function createHttpClient(options: HttpClientOptions, deps: HttpClientDeps): HttpClient {
  const doFetch =
    deps.fetch ??
    deps.egress?.fetcher({ secretHeaders: options.secretHeaders, tls: options.tls }) ??
    globalThis.fetch;
  const { clock, logger, signal } = deps;
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const maxWait = options.maxRateLimitWaitMs ?? 300_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const base = options.baseUrl?.replace(/\/+$/, '');

  function urlOf(path: string, query?: RequestOptions['query']): string {
    let url: URL;
    if (/^https?:\/\//i.test(path)) url = new URL(path);
    else if (base) url = new URL(`${base}${path.startsWith('/') ? '' : '/'}${path}`);
    else throw new Error(`relative path ${path} needs a baseUrl`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async function request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const url = urlOf(path, opts.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...options.headers,
      ...opts.headers,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (typeof opts.body !== 'string') headers['content-type'] ??= 'application/json';
    }
    const accept = opts.accept ?? ((s: number) => s >= 200 && s < 300);
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      let res: Response;
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        res = await doFetch(url, {
          method,
          headers,
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        // A refusal by the egress policy is final: asking again gets the same answer.
        if (err instanceof EgressRefusedError) throw new HttpError(0, url, '', err.message);
        if (attempt >= retries)
          throw new HttpError(
            0,
            url,
            '',
            `request to ${url} failed after ${attempt + 1} attempts: ${(err as Error).message}`,
          );
        const wait = Math.min(maxBackoff, backoff * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        logger?.warn('http request failed; retrying', {
          url,
          attempt: attempt + 1,
          waitMs: Math.round(wait),
          error: (err as Error).message,
        });
        await clock.sleep(wait, signal);
        continue;
      }
      const text = await res.text();
      if (accept(res.status)) {
        let parsed: unknown = text;
        const type = res.headers.get('content-type') ?? '';
        if (text !== '' && (type.includes('json') || /^\s*[[{]/.test(text))) {
          try {
            parsed = JSON.parse(text);
          } catch {
            if (type.includes('json'))
              throw new HttpError(res.status, url, text.slice(0, 200), `invalid JSON from ${url}`);
          }
        }
        return { status: res.status, headers: res.headers, body: parsed as T, url };
      }
      const wait = rateLimitWaitMs(res, clock.now());
      if (wait !== null && attempt < retries + 2) {
        if (wait > maxWait) {
          throw new HttpError(
            res.status,
            url,
            text.slice(0, 200),
            `rate limited by ${url} for ${Math.ceil(wait / 1000)} s, longer than the ${Math.ceil(maxWait / 1000)} s allowed`,
          );
        }
        logger?.info('rate limited; waiting', { url, waitMs: Math.round(wait), status: res.status });
        await clock.sleep(wait + 50, signal);
        continue;
      }
      if (retryable(res.status) && attempt < retries) {
        const delay = Math.min(maxBackoff, backoff * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        logger?.warn('http error; retrying', {
          url,
          status: res.status,
          attempt: attempt + 1,
          waitMs: Math.round(delay),
        });
        await clock.sleep(delay, signal);
        continue;
      }
      throw new HttpError(res.status, url, text.slice(0, 200));
    }
  }

  function itemsOf(body: unknown, items: PaginateOptions['items']): unknown[] {
    if (typeof items === 'function') return items(body) ?? [];
    const v = items ? readPath(body, items) : body;
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`expected a list at ${items ?? 'the body'}, got ${typeof v}`);
    return v;
  }

  async function* paginate<T>(path: string, opts: PaginateOptions): AsyncIterable<Page<T>> {
    const maxPages = opts.maxPages ?? 10_000;
    const query = { ...opts.query };
    let next: string | null = path;
    for (let index = 0; next !== null && index < maxPages; index++) {
      let url: string = next;
      let q: RequestOptions['query'] = query;
      if (opts.strategy === 'page') {
        q = { ...query, [opts.pageParam ?? 'page']: (opts.startPage ?? 1) + index };
        if (opts.pageSize) q[opts.pageSizeParam ?? 'per_page'] = opts.pageSize;
      } else if (opts.strategy === 'offset') {
        const limit = opts.limit ?? 100;
        q = { ...query, [opts.offsetParam ?? 'offset']: index * limit, [opts.limitParam ?? 'limit']: limit };
      } else if (opts.strategy === 'link' && index > 0) {
        q = undefined;
      }
      if (opts.strategy === 'page' || opts.strategy === 'offset') url = path;
      const res = await request<unknown>('GET', url, { ...opts, query: q });
      const items = itemsOf(res.body, opts.items) as T[];
      yield { items, body: res.body, response: res, index };
      next = null;
      switch (opts.strategy) {
        case 'link':
          next = parseLinkHeader(res.headers.get('link')).next ?? null;
          break;
        case 'cursor': {
          const c =
            typeof opts.nextCursor === 'function'
              ? opts.nextCursor(res.body, res)
              : readPath(res.body, opts.nextCursor);
          if (c !== undefined && c !== null && c !== '') {
            query[opts.cursorParam ?? 'cursor'] = String(c);
            next = path;
          }
          break;
        }
        case 'page':
        case 'offset': {
          const more = opts.hasMore ? readPath(res.body, opts.hasMore) : undefined;
          const size = opts.strategy === 'offset' ? (opts.limit ?? 100) : opts.pageSize;
          const full = size === undefined ? items.length > 0 : items.length >= size;
          if (more === true || (more === undefined && full)) next = path;
          break;
        }
        default:
          break;
      }
    }
  }

  return {
    request,
    async get<T>(path: string, opts?: RequestOptions) {
      return (await request<T>('GET', path, opts)).body;
    },
    paginate,
    async *items<T>(path: string, opts: PaginateOptions) {
      for await (const page of paginate<T>(path, opts)) yield* page.items;
    },
  };
}

/** The real clock. `sleep` rejects when the signal aborts. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
