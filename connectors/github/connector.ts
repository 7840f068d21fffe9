import type { Connector, ConnectorContext, RawRecord } from '@plexus/connector-sdk';
import { createGitHubClient, type GitHubClient, type Repository } from './client.ts';
import { type GitHubConfig, githubConfig } from './config.ts';
import { githubFunctions } from './mapping-functions.ts';
import {
  alertRecords,
  deploymentRecords,
  memberRecord,
  readsRepository,
  repositoryRecord,
  teamRecord,
  workflowRecords,
} from './records.ts';
import { githubWebhook } from './webhooks.ts';

/**
 * Runs one per-repository read; a failure is reported as a part of the source not read (the run
 * becomes partial and deletes nothing) instead of failing the whole organisation.
 */
async function part(
  ctx: ConnectorContext,
  repo: Repository,
  what: string,
  read: () => Promise<RawRecord[]>,
): Promise<RawRecord[]> {
  try {
    return await read();
  } catch (err) {
    ctx.signal.throwIfAborted();
    ctx.reportProblem({ origin: `${repo.full_name} ${what}`, kind: what, message: (err as Error).message });
    return [];
  }
}

async function* teamsAndMembers(gh: GitHubClient, ctx: ConnectorContext): AsyncIterable<RawRecord> {
  const teamsOf = new Map<string, Set<string>>();
  for await (const team of gh.listTeams()) {
    let members: Awaited<ReturnType<typeof teamRecord>>['members'];
    try {
      const read = await teamRecord(gh, team);
      members = read.members;
      yield read.record;
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.reportProblem({ origin: `team ${team.slug}`, kind: 'team', message: (err as Error).message });
      continue;
    }
    for (const m of members) {
      const set = teamsOf.get(m.login) ?? new Set<string>();
      set.add(team.slug.toLowerCase());
      teamsOf.set(m.login, set);
    }
  }
  // One profile read per person, after every team is known, so a person is one record with all
  // their teams (their entity is written whole).
  for (const login of [...teamsOf.keys()].sort()) {
    try {
      yield memberRecord(await gh.getUser(login), teamsOf.get(login)!);
    } catch (err) {
      ctx.signal.throwIfAborted();
      ctx.reportProblem({ origin: `user ${login}`, kind: 'member', message: (err as Error).message });
    }
  }
}

async function* repositories(
  gh: GitHubClient,
  config: GitHubConfig,
  ctx: ConnectorContext,
): AsyncIterable<RawRecord> {
  const include = new Set(config.include);
  for await (const repo of gh.listRepositories()) {
    if (!readsRepository(repo, config)) continue;
    if (include.has('repositories'))
      yield* await part(ctx, repo, 'repository', async () => [await repositoryRecord(gh, repo, config)]);
    if (include.has('workflows')) yield* await part(ctx, repo, 'workflows', () => workflowRecords(gh, repo));
    if (include.has('dependabotAlerts'))
      yield* await part(ctx, repo, 'dependabotAlerts', () => alertRecords(gh, repo, config));
    if (include.has('deployments') && config.deploymentsPerRepository > 0)
      yield* await part(ctx, repo, 'deployments', () => deploymentRecords(gh, repo, config));
  }
}

/**
 * `github`: an organisation's repositories (→ services, owned through CODEOWNERS), teams and
 * their members (→ teams, people), Actions workflows with their latest runs (→ pipelines),
 * Dependabot alerts (→ vulnerabilities) and deployments (→ deployments, environments), over
 * REST v3 on github.com or GitHub Enterprise Server; organisation webhooks apply changes as deltas.
 */
export const githubConnector: Connector<GitHubConfig> = {
  type: 'github',
  title: 'GitHub',
  description:
    'Repositories, CODEOWNERS, teams and members, Actions workflows, Dependabot alerts and deployments of an organisation (REST v3, GitHub Enterprise base URL), kept current by webhooks.',
  config: githubConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  mappingFunctions: githubFunctions,
  async *fetch(config, ctx) {
    const gh = createGitHubClient(config, ctx);
    // Teams first: services name their owning team, and people their teams.
    if (config.include.includes('teams')) yield* teamsAndMembers(gh, ctx);
    const perRepository = ['repositories', 'workflows', 'dependabotAlerts', 'deployments'] as const;
    if (perRepository.some((p) => config.include.includes(p))) yield* repositories(gh, config, ctx);
  },
  webhook: githubWebhook,
};
