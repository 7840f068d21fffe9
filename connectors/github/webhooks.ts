/**
 * GitHub organisation webhooks as deltas. A delivery is verified with `X-Hub-Signature-256`
 * (`sha256=<hex HMAC-SHA256 of the raw body>`), then turned into the same records a full sync
 * would produce for what changed: payloads carry the changed object, and what they lack (the
 * CODEOWNERS file, a workflow's other runs, a team's members) is read from the API, because a
 * delta replaces this source's whole contribution to an entity.
 */
import {
  type ConnectorContext,
  type RawRecord,
  verifyHmacSignature,
  type WebhookDeltas,
  type WebhookHandler,
} from '@plexus/connector-sdk';
import {
  codeownersPaths,
  createGitHubClient,
  type GitHubClient,
  type Repository,
  type Team,
} from './client.ts';
import type { GitHubConfig } from './config.ts';
import {
  alertRecord,
  kinds,
  memberRecord,
  readsRepository,
  repositoryRecord,
  teamRecord,
  workflowRecord,
} from './records.ts';

/** The fields of a delivery the handler reads (the events' documented payloads). */
interface Payload {
  action?: string;
  ref?: string;
  repository?: Repository;
  organization?: { login?: string };
  changes?: { repository?: { name?: { from?: string } } };
  commits?: { added?: string[]; modified?: string[]; removed?: string[] }[];
  pull_request?: { merged?: boolean; base?: { ref?: string } };
  workflow?: { id: number; path: string; state?: string };
  workflow_run?: { head_branch?: string };
  alert?: { state?: string; number?: number };
  team?: Team & { deleted?: boolean };
  member?: { login: string };
  scope?: string;
}

const none = (): WebhookDeltas => ({ upserts: [], deletes: [] });

const repositoryDelete = (repository: Repository): RawRecord => ({
  kind: kinds.repository,
  data: { repository, codeowners: null },
});

/** Reads a repository again and gives its record, or its delete when it is gone or not read. */
async function refreshRepository(
  gh: GitHubClient,
  config: GitHubConfig,
  seen: Repository,
): Promise<WebhookDeltas> {
  const repo = await gh.getRepository(seen.owner.login, seen.name);
  if (!repo || repo.owner.login.toLowerCase() !== config.org.toLowerCase() || !readsRepository(repo, config))
    return { upserts: [], deletes: [repositoryDelete(seen)] };
  return { upserts: [await repositoryRecord(gh, repo, config)], deletes: [] };
}

async function onRepository(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  const repo = p.repository!;
  if (p.action === 'deleted') return { upserts: [], deletes: [repositoryDelete(repo)] };
  const out = await refreshRepository(gh, config, repo);
  const previous = p.changes?.repository?.name?.from;
  // A rename gives the service a new identifier: the old one is this source's to remove.
  if (p.action === 'renamed' && previous) out.deletes.push(repositoryDelete({ ...repo, name: previous }));
  return out;
}

/** Pushes matter only when they change the default branch's CODEOWNERS. */
async function onPush(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  const repo = p.repository!;
  if (!config.include.includes('codeowners') || p.ref !== `refs/heads/${repo.default_branch}`) return none();
  const touched = (p.commits ?? []).some((c) =>
    [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])].some((f) =>
      codeownersPaths.includes(f),
    ),
  );
  return touched ? refreshRepository(gh, config, repo) : none();
}

/** A merged pull request into the default branch may have changed CODEOWNERS. */
async function onPullRequest(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  const repo = p.repository!;
  const pr = p.pull_request;
  if (!config.include.includes('codeowners') || p.action !== 'closed' || pr?.merged !== true) return none();
  if (pr.base?.ref !== repo.default_branch) return none();
  return refreshRepository(gh, config, repo);
}

async function onWorkflowRun(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  const repo = p.repository!;
  // Pipelines show the default branch; runs of other branches do not change them.
  if (!config.include.includes('workflows') || !p.workflow || p.workflow.state === 'deleted') return none();
  if (p.workflow_run?.head_branch !== repo.default_branch) return none();
  return { upserts: [await workflowRecord(gh, repo, p.workflow)], deletes: [] };
}

function onDependabotAlert(config: GitHubConfig, p: Payload): WebhookDeltas {
  const repo = p.repository!;
  if (!config.include.includes('dependabotAlerts') || !p.alert) return none();
  const record = alertRecord(repo, p.alert);
  // An alert that moved to a state the source does not read leaves the catalog, as in a full sync.
  return config.alertStates.includes(p.alert.state as never)
    ? { upserts: [record], deletes: [] }
    : { upserts: [], deletes: [record] };
}

async function refreshTeam(gh: GitHubClient, seen: Team): Promise<WebhookDeltas> {
  const team = await gh.getTeam(seen.slug);
  if (!team) return { upserts: [], deletes: [{ kind: kinds.team, data: { team: seen, members: [] } }] };
  return { upserts: [(await teamRecord(gh, team)).record], deletes: [] };
}

async function onTeam(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  if (!config.include.includes('teams') || !p.team?.slug) return none();
  if (p.action === 'deleted')
    return { upserts: [], deletes: [{ kind: kinds.team, data: { team: p.team, members: [] } }] };
  if (p.action === 'created' || p.action === 'edited') return refreshTeam(gh, p.team);
  // added_to_repository / removed_from_repository: ownership comes from CODEOWNERS, not team access.
  return none();
}

/**
 * A membership change: the team (its headcount) and the person (all their teams, one record).
 * The event's own team is taken from the event, since the API may lag behind it.
 */
async function onMembership(gh: GitHubClient, config: GitHubConfig, p: Payload): Promise<WebhookDeltas> {
  if (!config.include.includes('teams') || p.scope !== 'team' || !p.member || !p.team) return none();
  const out = p.team.deleted || !p.team.slug ? none() : await refreshTeam(gh, p.team);
  const login = p.member.login;
  const changed = p.team.slug?.toLowerCase();
  const teams: string[] = [];
  for await (const team of gh.listTeams()) {
    const slug = team.slug.toLowerCase();
    if (slug === changed) {
      if (p.action === 'added') teams.push(slug);
    } else if (await gh.isTeamMember(team.slug, login)) teams.push(slug);
  }
  if (teams.length === 0) out.deletes.push({ kind: kinds.member, data: { user: p.member, teams: [] } });
  else out.upserts.push(memberRecord(await gh.getUser(login), teams));
  return out;
}

/** The organisation a delivery is about, to ignore deliveries of other organisations. */
function orgOf(p: Payload): string | undefined {
  return p.organization?.login ?? p.repository?.owner?.login;
}

/** The webhook handler of the `github` connector. */
export const githubWebhook: WebhookHandler<GitHubConfig> = {
  verify(headers, rawBody, config) {
    // Without a configured secret nothing can be verified, so nothing is accepted.
    if (!config.webhookSecret) return false;
    return verifyHmacSignature({
      header: headers['x-hub-signature-256'],
      secret: config.webhookSecret,
      algorithm: 'sha256',
      prefix: 'sha256=',
      rawBody,
    });
  },
  replayKeys(headers) {
    // GitHub names every delivery (a re-delivery keeps the name); it does not sign the name,
    // but the handler reads current state from the API, so a replayed body cannot roll back.
    const id = headers['x-github-delivery'];
    return id ? [`delivery:${id}`] : [];
  },
  async toDeltas(headers, body, config, ctx: ConnectorContext) {
    const p = (body ?? {}) as Payload;
    const org = orgOf(p);
    if (!org || org.toLowerCase() !== config.org.toLowerCase()) return none();
    if (p.repository && !readsRepository(p.repository, config) && headers['x-github-event'] !== 'repository')
      return none();
    const gh = createGitHubClient(config, ctx);
    switch (headers['x-github-event']) {
      case 'repository':
        return config.include.includes('repositories') ? onRepository(gh, config, p) : none();
      case 'push':
        return config.include.includes('repositories') ? onPush(gh, config, p) : none();
      case 'pull_request':
        return config.include.includes('repositories') ? onPullRequest(gh, config, p) : none();
      case 'workflow_run':
        return onWorkflowRun(gh, config, p);
      case 'dependabot_alert':
        return onDependabotAlert(config, p);
      case 'team':
        return onTeam(gh, config, p);
      case 'membership':
        return onMembership(gh, config, p);
      default:
        // ping and events this source does not map.
        return none();
    }
  },
};
