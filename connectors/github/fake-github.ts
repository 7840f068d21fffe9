/**
 * A fake GitHub REST v3 for tests: real HTTP on 127.0.0.1, serving the recorded payloads of
 * `__fixtures__/acme/` with GitHub's paths, `per_page`/`page` pagination with `Link` headers,
 * `x-ratelimit-*` headers, `Bearer` auth and GitHub's error bodies. The organisation holds the
 * repositories and teams named in `state.items` (the contract suite removes some), and every
 * repository, team, user and environment name gets the test's prefix.
 */
import { readFileSync } from 'node:fs';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import type { ContentFile, Repository, Team, User } from './client.ts';

type Json = Record<string, unknown>;

/** The recorded organisation, one map per endpoint, keyed by the path parameter. */
export interface GitHubFixtures {
  repos: Repository[];
  teams: Team[];
  teamMembers: Record<string, User[]>;
  users: Record<string, User>;
  contents: Record<string, ContentFile>;
  workflows: Record<string, { total_count: number; workflows: Json[] }>;
  runs: Record<string, { total_count: number; workflow_runs: Json[] }>;
  alerts: Record<string, Json[]>;
  dependabotDisabled: Json;
  deployments: Record<string, Json[]>;
  statuses: Record<string, Json[]>;
}

const read = (file: string) =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/acme/${file}`, import.meta.url), 'utf8'));

/** A fresh copy of the recorded organisation `acme` (tests may change it). */
export function loadGitHubFixtures(): GitHubFixtures {
  return {
    repos: read('repos.json'),
    teams: read('teams.json'),
    teamMembers: read('team-members.json'),
    users: read('users.json'),
    contents: read('contents.json'),
    workflows: read('workflows.json'),
    runs: read('workflow-runs.json'),
    alerts: read('dependabot-alerts.json'),
    dependabotDisabled: read('dependabot-disabled.json'),
    deployments: read('deployments.json'),
    statuses: read('deployment-statuses.json'),
  };
}

/** A recorded webhook delivery from `__fixtures__/webhooks/`. */
export function readGitHubDelivery(name: string): Json {
  return JSON.parse(readFileSync(new URL(`./__fixtures__/webhooks/${name}.json`, import.meta.url), 'utf8'));
}

/** What exists in the fake organisation: repositories and teams by their recorded names. */
export type OrgItem = { type: 'repository'; name: string } | { type: 'team'; slug: string };

/** Every repository and team of the recording. */
export function allOrgItems(data: GitHubFixtures): OrgItem[] {
  return [
    ...data.teams.map((t): OrgItem => ({ type: 'team', slug: t.slug })),
    ...data.repos.map((r): OrgItem => ({ type: 'repository', name: r.name })),
  ];
}

/** Options of {@link startFakeGitHub}. */
export interface FakeGitHubOptions {
  data: GitHubFixtures;
  state: { items: OrgItem[]; failure: 'none' | 'at-start' | 'midway' };
  /** Put before every repository, team, login and environment name (`<prefix>-cart-service`). */
  prefix?: string;
  /** Names that appear only in deliveries (a renamed repository, a new team) and need the prefix too. */
  extraNames?: string[];
  token?: string;
  /** `/api/v3` to speak like GitHub Enterprise Server. */
  basePath?: string;
  /** Answers a request before the fake does (rate limits, outages); undefined lets it through. */
  intercept?: (req: FakeRequest) => FakeResponse | undefined;
}

/** A running fake, with the API root to configure as `baseUrl`. */
export interface FakeGitHub extends FakeServer {
  apiUrl: string;
}

const notFound: FakeResponse = {
  status: 404,
  body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
};

/** Starts the fake GitHub. */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const { data, state } = options;
  const basePath = options.basePath ?? '';
  const token = options.token ?? 'ghp_test_token';
  const prefix = options.prefix ? `${options.prefix}-` : '';
  const names = [
    ...data.repos.map((r) => r.name),
    ...data.teams.map((t) => t.slug),
    ...Object.keys(data.users).filter((k) => !k.startsWith('_')),
    ...Object.values(data.deployments).flatMap((list) =>
      (Array.isArray(list) ? list : []).map((d) => String(d.environment)),
    ),
    ...(options.extraNames ?? []),
  ];
  const vocabulary = new RegExp(
    `(?<![A-Za-z0-9_-])(${[...new Set(names)].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?![A-Za-z0-9_-])`,
    'g',
  );
  const withPrefix = (text: string) => (prefix ? text.replace(vocabulary, `${prefix}$1`) : text);
  const withoutPrefix = (name: string) =>
    prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name;
  let remaining = 5000;

  const repoNames = () => new Set(state.items.flatMap((i) => (i.type === 'repository' ? [i.name] : [])));
  const teamSlugs = () => new Set(state.items.flatMap((i) => (i.type === 'team' ? [i.slug] : [])));

  /** A JSON body with the prefix applied, as GitHub would name things in this organisation. */
  const json = (body: unknown, extra: Omit<FakeResponse, 'body'> = {}): FakeResponse => ({
    ...extra,
    body: JSON.parse(withPrefix(JSON.stringify(body))),
  });

  function page(req: FakeRequest, list: unknown[], server: FakeServer): FakeResponse {
    const perPage = Math.min(100, Number(req.query.get('per_page') ?? 30));
    const n = Number(req.query.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(list.length / perPage));
    const link = (p: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `<${server.url}${basePath}${req.path.slice(basePath.length)}?${q}>`;
    };
    const rels = [];
    if (n < last) rels.push(`${link(n + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (n > 1) rels.push(`${link(1)}; rel="first"`, `${link(n - 1)}; rel="prev"`);
    return json(
      list.slice((n - 1) * perPage, n * perPage),
      rels.length ? { headers: { link: rels.join(', ') } } : {},
    );
  }

  function contentFile(file: ContentFile): FakeResponse {
    const text = Buffer.from(String(file.content), 'base64').toString('utf8');
    const content = Buffer.from(withPrefix(text)).toString('base64');
    return json({ ...file, content: `${content.replace(/(.{60})/g, '$1\n')}\n` });
  }

  function route(req: FakeRequest, server: FakeServer): FakeResponse {
    const path = req.path.slice(basePath.length);
    const parts = path
      .split('/')
      .slice(1)
      .map((p) => withoutPrefix(decodeURIComponent(p)));
    const repos = repoNames();
    const teams = teamSlugs();
    const [a, b, c, d, e, f, g] = parts;
    if (a === 'orgs' && b === 'acme') {
      if (c === 'repos' && !d) {
        if (state.failure === 'midway' && Number(req.query.get('page') ?? 1) > 1)
          return {
            status: 422,
            body: { message: 'Pagination with the page parameter is not supported for large datasets.' },
          };
        return page(
          req,
          data.repos.filter((r) => repos.has(r.name)),
          server,
        );
      }
      if (c === 'teams') {
        if (!d)
          return page(
            req,
            data.teams.filter((t) => teams.has(t.slug)),
            server,
          );
        if (!teams.has(d)) return notFound;
        const team = data.teams.find((t) => t.slug === d)!;
        const members = data.teamMembers[d] ?? [];
        if (!e) return json({ ...team, members_count: members.length, repos_count: 0 });
        if (e === 'members') return page(req, members, server);
        if (e === 'memberships' && f) {
          if (!members.some((m) => m.login === f)) return notFound;
          return json({ url: `${server.url}${req.path}`, role: 'member', state: 'active' });
        }
      }
      return notFound;
    }
    if (a === 'users' && b && !c) {
      const user = data.users[b];
      return user && !b.startsWith('_') ? json(user) : notFound;
    }
    if (a === 'repos' && b === 'acme' && c) {
      if (!repos.has(c)) return notFound;
      const repo = data.repos.find((r) => r.name === c)!;
      if (!d) return json(repo);
      if (d === 'contents') {
        const file = data.contents[`${c}/${parts.slice(4).join('/')}`];
        return file ? contentFile(file) : notFound;
      }
      if (d === 'actions' && e === 'workflows') {
        if (!f) {
          const list = data.workflows[c] ?? { total_count: 0, workflows: [] };
          return json(list);
        }
        if (g === 'runs') {
          const branch = req.query.get('branch');
          const perPage = Number(req.query.get('per_page') ?? 30);
          const all = (data.runs[f]?.workflow_runs ?? []).filter((r) => !branch || r.head_branch === branch);
          return json({ total_count: all.length, workflow_runs: all.slice(0, perPage) });
        }
      }
      if (d === 'dependabot' && e === 'alerts') {
        const alerts = data.alerts[c];
        if (!alerts) return { status: 403, body: data.dependabotDisabled };
        const states = (req.query.get('state') ?? '').split(',').filter(Boolean);
        return page(
          req,
          alerts.filter((x) => states.length === 0 || states.includes(String(x.state))),
          server,
        );
      }
      if (d === 'deployments') {
        if (!e) return json((data.deployments[c] ?? []).slice(0, Number(req.query.get('per_page') ?? 30)));
        if (f === 'statuses')
          return json((data.statuses[e] ?? []).slice(0, Number(req.query.get('per_page') ?? 30)));
      }
    }
    return notFound;
  }

  const server = await startFakeServer((req, srv) => {
    const intercepted = options.intercept?.(req);
    if (intercepted) return intercepted;
    if (req.headers.authorization !== `Bearer ${token}` || state.failure === 'at-start')
      return {
        status: 401,
        body: {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        },
      };
    if (!req.path.startsWith(`${basePath}/`)) return notFound;
    remaining = Math.max(0, remaining - 1);
    const res = route(req, srv);
    return {
      ...res,
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-used': String(5000 - remaining),
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        'x-github-api-version-selected': '2022-11-28',
        ...res.headers,
      },
    };
  });
  return Object.assign(server, { apiUrl: `${server.url}${basePath}` });
}
