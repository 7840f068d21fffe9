/**
 * The GitHub REST v3 calls the connector makes, over the SDK's HTTP client (Link-header
 * pagination, `x-ratelimit-*` and `retry-after` waits, retries, a GitHub Enterprise base URL).
 * Bodies are returned exactly as GitHub sends them: the mapping reads GitHub's own field names.
 */
import { type ConnectorContext, type HttpClient, HttpError } from '@plexus/connector-sdk';
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

const seg = encodeURIComponent;
const repoPath = (repo: { owner: { login: string }; name: string }) =>
  `/repos/${seg(repo.owner.login)}/${seg(repo.name)}`;

/** The message of a GitHub error body (`{"message": "..."}`), for telling "disabled" from "forbidden". */
function messageOf(err: HttpError): string {
  try {
    return String((JSON.parse(err.bodySnippet) as { message?: unknown }).message ?? err.bodySnippet);
  } catch {
    return err.bodySnippet;
  }
}

/**
 * Creates the client for a source. The token goes in `Authorization: Bearer` (accepted for every
 * token type); the API version header pins the response shapes the mapping was written for.
 */
export function createGitHubClient(config: GitHubConfig, ctx: ConnectorContext): GitHubClient {
  const http: HttpClient = ctx.http({
    baseUrl: config.baseUrl,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${config.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'plexus-github-connector',
    },
  });
  const perPage = config.pageSize;
  const org = config.org;

  /** GET that answers null for the listed statuses (a 404 is "not there", not a failure). */
  async function getOrNull<T>(path: string, missing = [404], query?: Record<string, string | number>) {
    const res = await http.request<T>('GET', path, {
      query,
      accept: (s) => (s >= 200 && s < 300) || missing.includes(s),
    });
    return missing.includes(res.status) ? null : res.body;
  }

  return {
    org,
    listRepositories() {
      return http.items<Repository>(`/orgs/${seg(org)}/repos`, {
        strategy: 'link',
        query: { type: 'all', per_page: perPage, sort: 'full_name' },
      });
    },
    async getRepository(owner, name) {
      return getOrNull<Repository>(`/repos/${seg(owner)}/${seg(name)}`, [404, 410]);
    },
    async getCodeowners(repo) {
      for (const path of codeownersPaths) {
        // 409: the repository is empty (no commit yet), so it has no file either.
        const file = await getOrNull<ContentFile>(`${repoPath(repo)}/contents/${path}`, [404, 409]);
        if (file && !Array.isArray(file)) return file;
      }
      return null;
    },
    async listWorkflows(repo) {
      const out: Workflow[] = [];
      for await (const w of http.items<Workflow>(`${repoPath(repo)}/actions/workflows`, {
        strategy: 'link',
        items: 'workflows',
        query: { per_page: perPage },
      }))
        out.push(w);
      return out;
    },
    async listWorkflowRuns(repo, workflowId, branch) {
      const body = await http.get<{ workflow_runs?: GitHubObject[] }>(
        `${repoPath(repo)}/actions/workflows/${workflowId}/runs`,
        { query: { branch, per_page: config.runsPerWorkflow, exclude_pull_requests: 'true' } },
      );
      return body.workflow_runs ?? [];
    },
    async listDependabotAlerts(repo, states) {
      const out: GitHubObject[] = [];
      try {
        for await (const a of http.items<GitHubObject>(`${repoPath(repo)}/dependabot/alerts`, {
          strategy: 'link',
          query: { state: states.join(','), per_page: perPage },
        }))
          out.push(a);
      } catch (err) {
        // GitHub answers 403 "Dependabot alerts are disabled for this repository." (also for
        // archived repositories): that repository has no alerts, it is not a failed read.
        if (err instanceof HttpError && (err.status === 403 || err.status === 404)) {
          if (/disabled|archived/i.test(messageOf(err))) return [];
        }
        throw err;
      }
      return out;
    },
    async listDeployments(repo, count) {
      if (count <= 0) return [];
      return http.get<Deployment[]>(`${repoPath(repo)}/deployments`, { query: { per_page: count } });
    },
    async latestDeploymentStatus(repo, deploymentId) {
      const list = await http.get<GitHubObject[]>(`${repoPath(repo)}/deployments/${deploymentId}/statuses`, {
        query: { per_page: 1 },
      });
      return list[0] ?? null;
    },
    listTeams() {
      return http.items<Team>(`/orgs/${seg(org)}/teams`, { strategy: 'link', query: { per_page: perPage } });
    },
    async getTeam(slug) {
      return getOrNull<Team>(`/orgs/${seg(org)}/teams/${seg(slug)}`);
    },
    async listTeamMembers(slug) {
      const out: User[] = [];
      for await (const u of http.items<User>(`/orgs/${seg(org)}/teams/${seg(slug)}/members`, {
        strategy: 'link',
        query: { per_page: perPage },
      }))
        out.push(u);
      return out;
    },
    async getUser(login) {
      return http.get<User>(`/users/${seg(login)}`);
    },
    async isTeamMember(slug, login) {
      const m = await getOrNull<{ state?: string }>(
        `/orgs/${seg(org)}/teams/${seg(slug)}/memberships/${seg(login)}`,
      );
      return m !== null && m.state === 'active';
    },
  };
}
