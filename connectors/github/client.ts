/**
 * The GitHub REST v3 calls the connector makes, over Octokit (`@octokit/core` with the
 * pagination, retry and throttling plugins) on github.com or a GitHub Enterprise Server base URL.
 * Every request still leaves through the server's egress policy (Octokit's `request.fetch` is the
 * policy's fetch), and every wait (rate limits, back-off) is slept on the connector's clock and
 * ends when the run is aborted. Bodies are returned exactly as GitHub sends them: the mapping
 * reads GitHub's own field names.
 */
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { type ConnectorContext, EgressRefusedError, HttpError } from '@plexus/connector-sdk';
import type { GitHubConfig } from './config.ts';

/** The fields of a GitHub object the connector itself reads; the rest passes through untouched. */
interface GitHubObject {
  [field: string]: unknown;
}

/** A repository (`full-repository` / `minimal-repository` of the REST API). */
export interface Repository extends GitHubObject {
  name: string;
  full_name: string;
  owner: { login: string };
  default_branch?: string;
  archived?: boolean;
  fork?: boolean;
}

/** A team (`team` / `team-full`). */
export interface Team extends GitHubObject {
  slug: string;
  name: string;
}

/** A user (`simple-user`, or `public-user` from `GET /users/{username}`). */
export interface User extends GitHubObject {
  login: string;
}

/** A workflow of GitHub Actions. */
export interface Workflow extends GitHubObject {
  id: number;
  path: string;
}

/** A deployment. */
export interface Deployment extends GitHubObject {
  id: number;
}

/** A file of the contents API (`content-file`): `content` is base64. */
export interface ContentFile extends GitHubObject {
  path: string;
  content?: string;
  encoding?: string;
}

/** Where GitHub looks for CODEOWNERS, in its order of precedence. */
export const codeownersPaths = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

/** The calls, bound to one organisation. */
export interface GitHubClient {
  readonly org: string;
  listRepositories(): AsyncIterable<Repository>;
  /** One repository, or null when it is gone (404) or moved away. */
  getRepository(owner: string, name: string): Promise<Repository | null>;
  /** The effective CODEOWNERS file (`.github/`, root, `docs/`), or null when the repository has none. */
  getCodeowners(repo: Repository): Promise<ContentFile | null>;
  listWorkflows(repo: Repository): Promise<Workflow[]>;
  /** The most recent runs of a workflow on one branch, newest first. */
  listWorkflowRuns(repo: Repository, workflowId: number, branch: string | undefined): Promise<GitHubObject[]>;
  /** Dependabot alerts in the given states; an empty list when Dependabot is off for the repository. */
  listDependabotAlerts(repo: Repository, states: readonly string[]): Promise<GitHubObject[]>;
  /** The most recent deployments, newest first. */
  listDeployments(repo: Repository, count: number): Promise<Deployment[]>;
  /** The newest status of a deployment, or null when it has none yet. */
  latestDeploymentStatus(repo: Repository, deploymentId: number): Promise<GitHubObject | null>;
  listTeams(): AsyncIterable<Team>;
  /** One team by slug, or null when it is gone. */
  getTeam(slug: string): Promise<Team | null>;
  listTeamMembers(slug: string): Promise<User[]>;
  getUser(login: string): Promise<User>;
  /** Whether `login` is an active member of the team (pending invitations are not listed as members either). */
  isTeamMember(slug: string, login: string): Promise<boolean>;
}

/** The message of a GitHub error body (`{"message": "..."}`), for telling "disabled" from "forbidden". */
function messageOf(err: HttpError): string {
  try {
    return String((JSON.parse(err.bodySnippet) as { message?: unknown }).message ?? err.bodySnippet);
  } catch {
    return err.bodySnippet;
  }
}

/** Limits of the client; the defaults are those of the SDK's HTTP client, so every connector behaves alike. */
export interface GitHubClientOptions {
  /** Attempts after the first for network errors and 500/502/503/504. Default 4. */
  retries?: number;
  /** First back-off; doubles each retry, with jitter. Default 500 ms. */
  backoffMs?: number;
  /** Longest single back-off. Default 30 s. */
  maxBackoffMs?: number;
  /** A rate-limit wait longer than this fails the request instead. Default 5 min. */
  maxRateLimitWaitMs?: number;
  /** Rate-limit waits for one request before it fails. Default 6. */
  rateLimitRetries?: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
}

/** Server errors worth asking again; anything else is an answer (rate limits are plugin-throttling's). */
const transientStatuses = new Set([500, 502, 503, 504]);
/** What plugin-retry must leave alone: every 4xx and 5xx but the transient ones. */
const doNotRetry = Array.from({ length: 200 }, (_, i) => 400 + i).filter((s) => !transientStatuses.has(s));

/** The start of an error body, as the SDK's `HttpError` carries it. */
function snippetOf(data: unknown): string {
  if (data === undefined || data === null) return '';
  return (typeof data === 'string' ? data : JSON.stringify(data)).slice(0, 200);
}

/**
 * Creates the client for a source. The token goes in `Authorization: Bearer` (accepted for every
 * token type; Octokit's own token auth would send `token ...`); the API version header pins the
 * response shapes the mapping was written for.
 */
export function createGitHubClient(
  config: GitHubConfig,
  ctx: ConnectorContext,
  options: GitHubClientOptions = {},
): GitHubClient {
  const { clock, logger, signal } = ctx;
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const maxWait = options.maxRateLimitWaitMs ?? 300_000;
  const rateLimitRetries = options.rateLimitRetries ?? 6;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const perPage = config.pageSize;
  const org = config.org;

  // Every request goes through the egress policy (allowed hosts, no private addresses unless
  // allowed, redirects re-checked), with a per-attempt timeout and the run's abort signal.
  const egressFetch = ctx.egress.fetcher();
  const fetch: typeof globalThis.fetch = (input, init = {}) =>
    egressFetch(input, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });

  // Keyed by the request's options object, which Octokit hands unchanged to every layer and attempt.
  const transientFailures = new WeakMap<object, number>();
  const refusedWaits = new WeakMap<object, { which: string; ms: number }>();

  /**
   * The back-off of plugin-retry, slept on the connector's clock. plugin-retry itself would wait
   * on a real timer (Bottleneck), which a test cannot skip and an abort cannot end; so it runs with
   * `retryAfterBaseValue: 0` and this hook, registered first (innermost), waits before the error
   * reaches it. It also makes an egress refusal final: Octokit reports it as a 500, which
   * plugin-retry would ask again, getting the same answer.
   */
  const clockBackoff = (octokit: Octokit) => {
    octokit.hook.error('request', async (error, opts) => {
      if (signal.aborted) throw signal.reason;
      const url = error instanceof RequestError ? error.request.url : String(opts.url);
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof EgressRefusedError) throw new HttpError(0, url, '', cause.message);
      if (error instanceof RequestError && transientStatuses.has(error.status)) {
        const n = (transientFailures.get(opts) ?? 0) + 1;
        transientFailures.set(opts, n);
        if (n <= retries) {
          const wait = Math.min(maxBackoff, backoff * 2 ** (n - 1)) * (0.75 + Math.random() * 0.5);
          logger.warn('github request failed; retrying', {
            url,
            status: error.response?.status ?? 0,
            attempt: n,
            waitMs: Math.round(wait),
            error: error.message,
          });
          await clock.sleep(wait, signal);
        }
      }
      throw error;
    });
  };

  /**
   * plugin-throttling's rate-limit handlers: wait as GitHub says (`x-ratelimit-reset` for the
   * primary limit, `retry-after` for secondary ones), on the connector's clock, then ask the plugin
   * to retry at once (`retryAfterBaseValue: 0`), since the wait is already over.
   */
  const waitForLimit =
    (which: string) =>
    async (retryAfter: number, opts: object, _octokit: unknown, retryCount: number): Promise<boolean> => {
      const ms = retryAfter * 1000;
      if (retryCount >= rateLimitRetries) return false;
      if (ms > maxWait) {
        refusedWaits.set(opts, { which, ms });
        return false;
      }
      const { method, url } = opts as { method?: string; url?: string };
      logger.info('github rate limit; waiting', { route: `${method} ${url}`, limit: which, waitMs: ms });
      try {
        await clock.sleep(ms, signal);
        return true;
      } catch {
        return false; // aborted: the error goes up, and the run sees its signal
      }
    };

  const GitHubOctokit = Octokit.plugin(clockBackoff, retry, throttling, paginateRest);
  const octokit = new GitHubOctokit({
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    userAgent: 'plexus-github-connector',
    request: { fetch },
    log: {
      debug: (msg: string) => logger.debug(msg),
      info: (msg: string) => logger.info(msg),
      warn: (msg: string) => logger.warn(msg),
      error: (msg: string) => logger.error(msg),
    },
    retry: { retries, doNotRetry, retryAfterBaseValue: 0 },
    throttle: {
      id: `plexus-github:${ctx.sourceId}`,
      retryAfterBaseValue: 0,
      onRateLimit: waitForLimit('primary rate limit'),
      onSecondaryRateLimit: waitForLimit('secondary rate limit'),
    },
  });
  octokit.hook.before('request', (opts) => {
    opts.headers.accept = 'application/vnd.github+json';
    opts.headers.authorization = `Bearer ${config.token}`;
    opts.headers['x-github-api-version'] = '2022-11-28';
  });
  // Outermost: what leaves the client is the SDK's HttpError (status, URL, start of the body),
  // as for every other connector, or the run's abort reason.
  octokit.hook.wrap('request', async (request, opts) => {
    try {
      return await request(opts);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!(err instanceof RequestError)) throw err;
      const url = err.request.url;
      if (!err.response)
        throw new HttpError(
          0,
          url,
          '',
          `request to ${url} failed after ${retries + 1} attempts: ${err.message}`,
        );
      const body = snippetOf(err.response.data);
      const refused = refusedWaits.get(opts);
      throw new HttpError(
        err.status,
        url,
        body,
        refused &&
          `rate limited by ${url} (${refused.which}) for ${Math.ceil(refused.ms / 1000)} s, longer than the ${Math.ceil(maxWait / 1000)} s allowed`,
      );
    }
  });

  async function get<T>(route: string, params: Record<string, unknown> = {}): Promise<T> {
    return (await octokit.request(route, params)).data as T;
  }

  /** GET that answers null for the listed statuses (a 404 is "not there", not a failure). */
  async function getOrNull<T>(route: string, params: Record<string, unknown>, missing = [404]) {
    try {
      return await get<T>(route, params);
    } catch (err) {
      if (err instanceof HttpError && missing.includes(err.status)) return null;
      throw err;
    }
  }

  /** Every item of a listing, page by page along the `Link: rel="next"` headers. */
  async function* items<T>(route: string, params: Record<string, unknown>): AsyncIterable<T> {
    for await (const page of octokit.paginate.iterator(route, params)) yield* page.data as T[];
  }

  async function all<T>(route: string, params: Record<string, unknown>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of items<T>(route, params)) out.push(item);
    return out;
  }

  const repoParams = (repo: Repository) => ({ owner: repo.owner.login, repo: repo.name });

  return {
    org,
    listRepositories() {
      return items<Repository>('GET /orgs/{org}/repos', {
        org,
        type: 'all',
        per_page: perPage,
        sort: 'full_name',
      });
    },
    async getRepository(owner, name) {
      return getOrNull<Repository>('GET /repos/{owner}/{repo}', { owner, repo: name }, [404, 410]);
    },
    async getCodeowners(repo) {
      for (const path of codeownersPaths) {
        // The path is one of ours, sent as it is (Octokit would encode its slashes).
        // 409: the repository is empty (no commit yet), so it has no file either.
        const file = await getOrNull<ContentFile>(
          `GET /repos/{owner}/{repo}/contents/${path}`,
          repoParams(repo),
          [404, 409],
        );
        if (file && !Array.isArray(file)) return file;
      }
      return null;
    },
    async listWorkflows(repo) {
      // plugin-paginate-rest takes the list out of `{total_count, workflows}`.
      return all<Workflow>('GET /repos/{owner}/{repo}/actions/workflows', {
        ...repoParams(repo),
        per_page: perPage,
      });
    },
    async listWorkflowRuns(repo, workflowId, branch) {
      const body = await get<{ workflow_runs?: GitHubObject[] }>(
        'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
        {
          ...repoParams(repo),
          workflow_id: workflowId,
          branch,
          per_page: config.runsPerWorkflow,
          exclude_pull_requests: 'true',
        },
      );
      return body.workflow_runs ?? [];
    },
    async listDependabotAlerts(repo, states) {
      try {
        return await all<GitHubObject>('GET /repos/{owner}/{repo}/dependabot/alerts', {
          ...repoParams(repo),
          state: states.join(','),
          per_page: perPage,
        });
      } catch (err) {
        // GitHub answers 403 "Dependabot alerts are disabled for this repository." (also for
        // archived repositories): that repository has no alerts, it is not a failed read.
        if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
          if (/disabled|archived/i.test(messageOf(err))) return [];
        }
        throw err;
      }
    },
    async listDeployments(repo, count) {
      if (count <= 0) return [];
      return get<Deployment[]>('GET /repos/{owner}/{repo}/deployments', {
        ...repoParams(repo),
        per_page: count,
      });
    },
    async latestDeploymentStatus(repo, deploymentId) {
      const list = await get<GitHubObject[]>(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        {
          ...repoParams(repo),
          deployment_id: deploymentId,
          per_page: 1,
        },
      );
      return list[0] ?? null;
    },
    listTeams() {
      return items<Team>('GET /orgs/{org}/teams', { org, per_page: perPage });
    },
    async getTeam(slug) {
      return getOrNull<Team>('GET /orgs/{org}/teams/{team_slug}', { org, team_slug: slug });
    },
    async listTeamMembers(slug) {
      return all<User>('GET /orgs/{org}/teams/{team_slug}/members', {
        org,
        team_slug: slug,
        per_page: perPage,
      });
    },
    async getUser(login) {
      return get<User>('GET /users/{username}', { username: login });
    },
    async isTeamMember(slug, login) {
      const m = await getOrNull<{ state?: string }>(
        'GET /orgs/{org}/teams/{team_slug}/memberships/{username}',
        {
          org,
          team_slug: slug,
          username: login,
        },
      );
      return m !== null && m.state === 'active';
    },
  };
}
