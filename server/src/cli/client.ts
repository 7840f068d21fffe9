/**
 * The CLI's HTTP client: the REST API with a bearer token and `x-plexus-origin: cli`, and the
 * mapping from failures to exit codes a CI job can branch on.
 */

/** Exit codes of `plexus`. */
export const exitCodes = {
  ok: 0,
  /** The server failed, a sync failed, or something unexpected happened. */
  failed: 1,
  /** Bad arguments or unreadable/invalid files: nothing was sent. */
  usage: 2,
  /** The server refused the change (422 invalid, 409 conflict) or a sync stopped at the deletion threshold. */
  rejected: 3,
  /** 401/403: no token, a wrong token, or not allowed. */
  auth: 4,
  /** The server could not be reached. */
  unreachable: 5,
  /** A sync finished partial (some of the source could not be read), or `--detailed-exitcode` with changes pending. */
  partial: 6,
} as const;

/** An error that carries the exit code to end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details: { path?: string; index?: number; identifier?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A thin REST client. */
export interface ApiClient {
  readonly url: string;
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options?: { contentType?: string; allow?: number[] },
  ): Promise<{ status: number; body: T }>;
}

/** Creates the client; `fetchImpl` is injectable for tests. */
export function createApiClient(options: {
  url: string;
  token?: string;
  fetchImpl?: typeof fetch;
  /** `plexus apply`'s set: sent as `x-plexus-apply-set`, recorded by the server on what it writes. */
  applySet?: string;
}): ApiClient {
  const url = options.url.replace(/\/+$/, '');
  const doFetch = options.fetchImpl ?? fetch;
  return {
    url,
    async call(method, path, body, opts = {}) {
      const headers: Record<string, string> = { accept: 'application/json', 'x-plexus-origin': 'cli' };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.applySet) headers['x-plexus-apply-set'] = options.applySet;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        headers['content-type'] = opts.contentType ?? 'application/json';
      }
      let res: Response;
      try {
        res = await doFetch(`${url}${path}`, { method, headers, body: payload });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        throw new CliError(
          `cannot reach Plexus at ${url}${cause ? ` (${cause})` : ''}: set --url or PLEXUS_URL`,
          exitCodes.unreachable,
        );
      }
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      if (res.ok || opts.allow?.includes(res.status)) return { status: res.status, body: parsed };
      const err = parsed?.error;
      const message = `${method} ${path}: ${res.status} ${err?.message ?? (typeof parsed === 'string' ? parsed.slice(0, 200) : res.statusText)}`;
      if (res.status === 401)
        throw new CliError(`${message}\n  pass a token with --token or PLEXUS_TOKEN`, exitCodes.auth);
      if (res.status === 403) throw new CliError(message, exitCodes.auth);
      if (res.status >= 400 && res.status < 500)
        throw new CliError(message, exitCodes.rejected, err?.details ?? []);
      throw new CliError(message, exitCodes.failed);
    },
  };
}
