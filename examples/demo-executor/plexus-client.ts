/**
 * What the demo executor says to Plexus: run reports with the run's token, catalog reads and
 * writes with its own API token (writes carry `?runId=` so they count as the run's affected
 * entities).
 */

/** The documented webhook payload (API.md "Actions and runs"). */
export interface ExecutorPayload {
  run: { id: string; token: string; apiUrl?: string };
  action: { identifier: string; title: string; operation: string; blueprint: string | null };
  entity: {
    identifier: string;
    blueprint: string;
    title?: string;
    properties: Record<string, unknown>;
    relations: Record<string, string | string[]>;
  } | null;
  inputs: Record<string, unknown>;
  trigger: { by: string; at: string };
}

/** An entity as the REST API takes it. */
export interface EntityBody {
  identifier: string;
  title?: string;
  properties?: Record<string, unknown>;
  relations?: Record<string, string | string[]>;
}

/** A failed call to Plexus: what, where, and Plexus's error message. */
export class PlexusCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PlexusCallError';
  }
}

/** The `/api/v1` root in `url` (which may be the server root or any URL under the API). */
export function apiRoot(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  const at = trimmed.indexOf('/api/v1');
  return at >= 0 ? trimmed.slice(0, at + '/api/v1'.length) : `${trimmed}/api/v1`;
}

const retryable = new Set([429, 502, 503, 504]);

async function call(
  method: string,
  url: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  let wait = 200;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      if (attempt >= 4) throw new PlexusCallError(0, `${method} ${url} failed: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
      continue;
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (retryable.has(res.status) && attempt < 4) {
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
      continue;
    }
    if (res.status >= 400 && res.status !== 404) {
      const e = (json as { error?: { message?: string; details?: { message?: string; path?: string }[] } })
        ?.error;
      const details = (e?.details ?? []).map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`).join('; ');
      throw new PlexusCallError(
        res.status,
        `${method} ${new URL(url).pathname} answered ${res.status}: ${e?.message ?? text.slice(0, 200)}${details ? ` (${details})` : ''}`,
      );
    }
    return { status: res.status, json };
  }
}

/** The client one run uses. */
export interface PlexusClient {
  report(patch: { statusLabel?: string; link?: string; summary?: string }): Promise<void>;
  log(message: string, terminationStatus?: 'SUCCESS' | 'FAILURE'): Promise<void>;
  /** The entity, or null when it does not exist. */
  getEntity(blueprint: string, identifier: string): Promise<EntityBody | null>;
  /** Upserts with `merge=true` (properties not sent are kept) and `runId`. */
  upsertEntity(blueprint: string, entity: EntityBody): Promise<void>;
  deleteEntity(blueprint: string, identifier: string): Promise<void>;
}

/** A client for one run's payload. */
export function createPlexusClient(options: {
  payload: ExecutorPayload;
  plexusUrl: string;
  apiToken: string;
}): PlexusClient {
  const { payload, apiToken } = options;
  const runs = apiRoot(payload.run.apiUrl ?? options.plexusUrl);
  const catalog = apiRoot(options.plexusUrl);
  const run = `${runs}/runs/${encodeURIComponent(payload.run.id)}`;
  const entityUrl = (blueprint: string, identifier?: string) =>
    `${catalog}/blueprints/${encodeURIComponent(blueprint)}/entities${identifier === undefined ? '' : `/${encodeURIComponent(identifier)}`}`;
  const runQuery = `runId=${encodeURIComponent(payload.run.id)}`;
  return {
    async report(patch) {
      await call('PATCH', run, payload.run.token, patch);
    },
    async log(message, terminationStatus) {
      await call('POST', `${run}/logs`, payload.run.token, {
        message,
        ...(terminationStatus ? { terminationStatus } : {}),
      });
    },
    async getEntity(blueprint, identifier) {
      const res = await call('GET', entityUrl(blueprint, identifier), apiToken);
      return res.status === 404 ? null : (res.json as EntityBody);
    },
    async upsertEntity(blueprint, entity) {
      const res = await call('POST', `${entityUrl(blueprint)}?merge=true&${runQuery}`, apiToken, entity);
      if (res.status === 404) throw new PlexusCallError(404, `blueprint "${blueprint}" does not exist`);
    },
    async deleteEntity(blueprint, identifier) {
      await call('DELETE', `${entityUrl(blueprint, identifier)}?${runQuery}`, apiToken);
    },
  };
}
