/**
 * The records a GitHub source yields, built the same way by a full sync and by a webhook, so a
 * delivery produces exactly the record (and so the entity hash) the next full sync would.
 *
 * Each record is GitHub's own objects, grouped where the catalog needs them together: an entity
 * is written whole from one record (a webhook delta replaces this source's whole contribution to
 * an entity), so what one entity needs from several calls travels in one record.
 */
import type { RawRecord } from '@plexus/connector-sdk';
import type { GitHubClient, Repository, Team, User } from './client.ts';
import type { GitHubConfig } from './config.ts';

/** Record kinds, as the mapping selects on them. */
export const kinds = {
  /** `{repository, codeowners}`: a repository and its CODEOWNERS file (contents API) or null. */
  repository: 'repository',
  /** `{repository, workflow, runs}`: an Actions workflow and its latest default-branch runs. */
  workflow: 'workflow',
  /** `{repository, alert}`: one Dependabot alert. */
  dependabotAlert: 'dependabotAlert',
  /** `{repository, deployment, status}`: a deployment and its newest status (or null). */
  deployment: 'deployment',
  /** `{team, members}`: a team and its members. */
  team: 'team',
  /** `{user, teams}`: a member of one or more teams (`GET /users/{login}`) and their team slugs. */
  member: 'member',
} as const;

/** Whether the source reads a repository at all (forks and archived ones by config). */
export function readsRepository(repo: Repository, config: GitHubConfig): boolean {
  if (repo.fork === true && !config.includeForks) return false;
  if (repo.archived === true && !config.includeArchived) return false;
  return true;
}

const origin = (repo: Repository, what: string) => `${repo.full_name} ${what}`;

/** The repository record; reads CODEOWNERS when the source includes it. */
export async function repositoryRecord(
  gh: GitHubClient,
  repository: Repository,
  config: GitHubConfig,
): Promise<RawRecord> {
  const codeowners = config.include.includes('codeowners') ? await gh.getCodeowners(repository) : null;
  return {
    kind: kinds.repository,
    data: { repository, codeowners },
    origin: origin(repository, 'repository'),
  };
}

/** One workflow record, with its runs read. */
export async function workflowRecord(
  gh: GitHubClient,
  repository: Repository,
  workflow: { id: number; path: string },
): Promise<RawRecord> {
  const runs = await gh.listWorkflowRuns(repository, workflow.id, repository.default_branch);
  return {
    kind: kinds.workflow,
    data: { repository, workflow, runs },
    origin: origin(repository, `workflow ${workflow.path}`),
  };
}

/** The workflow records of a repository. Deleted workflows are left out: they no longer build anything. */
export async function workflowRecords(gh: GitHubClient, repository: Repository): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for (const workflow of await gh.listWorkflows(repository)) {
    if (workflow.state === 'deleted') continue;
    out.push(await workflowRecord(gh, repository, workflow));
  }
  return out;
}

/** The record of one Dependabot alert. */
export function alertRecord(repository: Repository, alert: Record<string, unknown>): RawRecord {
  return {
    kind: kinds.dependabotAlert,
    data: { repository, alert },
    origin: origin(repository, `dependabot alert ${String(alert.number)}`),
  };
}

/** The Dependabot alert records of a repository, in the configured states. */
export async function alertRecords(
  gh: GitHubClient,
  repository: Repository,
  config: GitHubConfig,
): Promise<RawRecord[]> {
  const alerts = await gh.listDependabotAlerts(repository, config.alertStates);
  return alerts.map((alert) => alertRecord(repository, alert));
}

/** The latest deployments of a repository, each with its newest status. */
export async function deploymentRecords(
  gh: GitHubClient,
  repository: Repository,
  config: GitHubConfig,
): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for (const deployment of await gh.listDeployments(repository, config.deploymentsPerRepository)) {
    const status = await gh.latestDeploymentStatus(repository, deployment.id);
    out.push({
      kind: kinds.deployment,
      data: { repository, deployment, status },
      origin: origin(repository, `deployment ${deployment.id}`),
    });
  }
  return out;
}

/** A team record, with its members read. */
export async function teamRecord(
  gh: GitHubClient,
  team: Team,
): Promise<{ record: RawRecord; members: User[] }> {
  const members = await gh.listTeamMembers(team.slug);
  return { record: { kind: kinds.team, data: { team, members }, origin: `team ${team.slug}` }, members };
}

/** A member record: the user's profile and the slugs of their teams, sorted so the record is stable. */
export function memberRecord(user: User, teams: Iterable<string>): RawRecord {
  return {
    kind: kinds.member,
    data: { user, teams: [...new Set(teams)].sort() },
    origin: `user ${user.login}`,
  };
}
