import { createHmac } from 'node:crypto';
import {
  type Clock,
  type ConnectorContext,
  compileMapping,
  createEgressPolicy,
  type EgressPolicy,
  environmentType,
  type FetchProblem,
  type MappedEntity,
  type RawRecord,
} from '@plexus/connector-sdk';
import { fakeClock, testConnectorContext } from '@plexus/connector-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type GitHubConfig, githubConfig } from './config.ts';
import { githubConnector } from './connector.ts';
import {
  allOrgItems,
  type FakeGitHub,
  type FakeGitHubOptions,
  type GitHubFixtures,
  loadGitHubFixtures,
  readGitHubDelivery,
  startFakeGitHub,
} from './fake-github.ts';
import { codeownersTeam } from './mapping-functions.ts';

// The fake servers listen on 127.0.0.1: allowed explicitly, as an operator would with PLEXUS_EGRESS_ALLOW.
const egress = createEgressPolicy({ allow: ['127.0.0.1'] });

const servers: FakeGitHub[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function contextFor(clock: Clock, problems: FetchProblem[] = []): ConnectorContext {
  return testConnectorContext({ sourceId: 'github-test', clock, problems, egress });
}

async function fakeGitHub(overrides: Partial<FakeGitHubOptions> = {}, data = loadGitHubFixtures()) {
  const server = await startFakeGitHub({
    data,
    state: { items: allOrgItems(data), failure: 'none' },
    ...overrides,
  });
  servers.push(server);
  return server;
}

function configFor(server: FakeGitHub, extra: Record<string, unknown> = {}): GitHubConfig {
  return githubConfig.parse({ baseUrl: server.apiUrl, org: 'acme', token: 'ghp_test_token', ...extra });
}

async function fetchAll(config: GitHubConfig, clock: Clock = fakeClock()) {
  const problems: FetchProblem[] = [];
  const records: RawRecord[] = [];
  for await (const r of githubConnector.fetch!(config, contextFor(clock, problems))) records.push(r);
  return { records, problems };
}

const mapping = compileMapping(githubConnector.defaultMapping, {
  functions: githubConnector.mappingFunctions,
});

async function mapAll(records: RawRecord[]) {
  const entities = new Map<string, MappedEntity>();
  const errors = [];
  for (const [i, r] of records.entries()) {
    const out = await mapping.apply(r, i);
    errors.push(...out.errors);
    for (const e of out.entities) entities.set(`${e.blueprint}:${e.identifier}`, e);
  }
  return { entities, errors };
}

const sign = (body: string, secret = 'whsec') =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('github connector, against a fake GitHub', () => {
  it('reads every part of the organisation and maps it without errors', async () => {
    const server = await fakeGitHub();
    const { records, problems } = await fetchAll(configFor(server));
    expect(problems).toEqual([]);
    const { entities, errors } = await mapAll(records);
    expect(errors).toEqual([]);
    expect([...entities.keys()].sort()).toEqual([
      'deployment:cart-service/deployments/1840110011',
      'deployment:cart-service/deployments/1840112233',
      'deployment:search-api/deployments/1840099001',
      'environment:prod-eu',
      'environment:staging-eu',
      'person:alice-dev',
      'person:bob-ops',
      'person:carol-search',
      'person:dave-platform',
      'pipeline:cart-service/ci.yml',
      'pipeline:cart-service/deploy.yml',
      'pipeline:search-api/build.yml',
      'service:billing-worker',
      'service:cart-service',
      'service:search-api',
      'team:payments',
      'team:platform',
      'team:search-team',
      'vulnerability:cart-service/dependabot/12',
      'vulnerability:cart-service/dependabot/14',
      'vulnerability:search-api/dependabot/3',
      'vulnerability:search-api/dependabot/5',
    ]);
  });

  it('maps a repository to a service with its language, lifecycle, tier, topics and CODEOWNERS team', async () => {
    const server = await fakeGitHub();
    const { entities } = await mapAll((await fetchAll(configFor(server))).records);
    expect(entities.get('service:cart-service')).toEqual({
      blueprint: 'service',
      identifier: 'cart-service',
      title: 'cart-service',
      properties: {
        description: 'Shopping cart API: baskets, pricing and checkout hand-off.',
        language: 'typescript',
        lifecycle: 'production',
        tier: 1,
        repositoryUrl: 'https://github.com/acme/cart-service',
        tags: ['checkout', 'production', 'tier-1'],
        createdAt: '2021-03-02T09:14:51Z',
        labels: {
          'github.com/visibility': 'private',
          'github.com/default-branch': 'main',
          'github.com/archived': 'false',
        },
      },
      relations: { ownedBy: 'payments' },
    });
    expect(entities.get('service:search-api')?.relations.ownedBy).toBe('search-team');
    // Archived: deprecated whatever its topics say; no CODEOWNERS: no owner.
    expect(entities.get('service:billing-worker')?.properties.lifecycle).toBe('deprecated');
    expect(entities.get('service:billing-worker')?.relations.ownedBy).toBeNull();
  });

  it('leaves forks out, and archived repositories too when told', async () => {
    const server = await fakeGitHub();
    const { records } = await fetchAll(configFor(server, { includeArchived: false }));
    const names = records.filter((r) => r.kind === 'repository').map((r) => (r.data as any).repository.name);
    expect(names).toEqual(['cart-service', 'search-api']);
  });

  it('maps teams with parent and headcount, and people with all their teams', async () => {
    const server = await fakeGitHub();
    const { entities } = await mapAll((await fetchAll(configFor(server))).records);
    expect(entities.get('team:payments')).toMatchObject({
      title: 'Payments',
      properties: { description: 'Checkout, cart and billing.', headcount: 2 },
      relations: { parent: 'platform' },
    });
    expect(entities.get('person:alice-dev')).toMatchObject({
      title: 'Alice Martin',
      properties: { email: 'alice@acme.example', githubLogin: 'alice-dev', displayName: 'Alice Martin' },
      relations: { memberOf: ['payments', 'search-team'] },
    });
    // No public email: GitHub's no-reply address for the user.
    expect(entities.get('person:bob-ops')?.properties.email).toBe(
      '48211977+bob-ops@users.noreply.github.com',
    );
  });

  it('maps workflows to pipelines from their latest default-branch runs', async () => {
    const server = await fakeGitHub();
    const { entities } = await mapAll((await fetchAll(configFor(server))).records);
    expect(entities.get('pipeline:cart-service/ci.yml')).toEqual({
      blueprint: 'pipeline',
      identifier: 'cart-service/ci.yml',
      title: 'CI',
      properties: {
        provider: 'githubActions',
        url: 'https://github.com/acme/cart-service/blob/main/.github/workflows/ci.yml',
        branch: 'main',
        status: 'passing',
        lastRunAt: '2025-05-01T09:58:50Z',
        averageDurationSeconds: 254,
        successRate: 0.67,
      },
      relations: { builds: ['cart-service'] },
    });
    expect(entities.get('pipeline:cart-service/deploy.yml')?.properties.status).toBe('running');
    expect(entities.get('pipeline:search-api/build.yml')?.properties.status).toBe('failing');
    expect(entities.has('pipeline:search-api/nightly.yml')).toBe(false);
  });

  it('maps Dependabot alerts to vulnerabilities affecting the repository’s service', async () => {
    const server = await fakeGitHub();
    const { entities } = await mapAll((await fetchAll(configFor(server))).records);
    expect(entities.get('vulnerability:cart-service/dependabot/14')).toMatchObject({
      title: 'jsonwebtoken unrestricted key type could lead to legacy keys usage',
      properties: {
        cveId: 'CVE-2022-23539',
        severity: 'critical',
        cvssScore: 9.8,
        status: 'open',
        packageName: 'jsonwebtoken',
        fixedInVersion: '9.0.0',
        url: 'https://github.com/acme/cart-service/security/dependabot/14',
      },
      relations: { affects: ['service:cart-service'] },
    });
    expect(entities.get('vulnerability:search-api/dependabot/3')?.properties.status).toBe('ignored');
    // No CVE and a zero CVSS score: both left out rather than written as facts.
    expect(entities.get('vulnerability:search-api/dependabot/5')?.properties).not.toHaveProperty('cveId');
    expect(entities.get('vulnerability:search-api/dependabot/5')?.properties).not.toHaveProperty('cvssScore');
  });

  it('reads only the alert states it is told to', async () => {
    const server = await fakeGitHub();
    const { records } = await fetchAll(configFor(server, { alertStates: ['open'] }));
    const states = records
      .filter((r) => r.kind === 'dependabotAlert')
      .map((r) => (r.data as any).alert.state);
    expect(states).toEqual(['open', 'open']);
  });

  it('maps deployments with their latest status, and the environments they name', async () => {
    const server = await fakeGitHub();
    const { entities } = await mapAll((await fetchAll(configFor(server))).records);
    expect(entities.get('deployment:cart-service/deployments/1840112233')).toEqual({
      blueprint: 'deployment',
      identifier: 'cart-service/deployments/1840112233',
      title: 'cart-service to prod-eu',
      properties: {
        version: 'v2.4.1',
        status: 'succeeded',
        commitSha: '5e1d0a4c3b2f19e8d7c6b5a4f3e2d1c0b9a89788',
        startedAt: '2025-05-01T10:05:10Z',
        finishedAt: '2025-05-01T10:09:40Z',
        durationSeconds: 270,
        changeUrl: 'https://github.com/acme/cart-service/commit/5e1d0a4c3b2f19e8d7c6b5a4f3e2d1c0b9a89788',
      },
      relations: { deploys: 'cart-service', environment: 'prod-eu' },
    });
    expect(entities.get('deployment:search-api/deployments/1840099001')?.properties.status).toBe('pending');
    expect(entities.get('environment:prod-eu')).toMatchObject({
      properties: { type: 'production', isProduction: true },
    });
  });

  it('follows Link headers page by page', async () => {
    const server = await fakeGitHub();
    await fetchAll(configFor(server, { pageSize: 1 }));
    const repoPages = server.requests
      .filter((r) => r.path === '/orgs/acme/repos')
      .map((r) => r.query.get('page'));
    expect(repoPages).toEqual([null, '2', '3', '4']);
  });

  it('speaks to GitHub Enterprise Server under its /api/v3 base URL', async () => {
    const server = await fakeGitHub({ basePath: '/api/v3' });
    const { records, problems } = await fetchAll(configFor(server));
    expect(problems).toEqual([]);
    expect(records.length).toBeGreaterThan(10);
    expect(server.requests.every((r) => r.path.startsWith('/api/v3/'))).toBe(true);
  });

  it('waits for the primary rate limit to reset (x-ratelimit-remaining: 0) and goes on', async () => {
    let limited = false;
    const clock = fakeClock();
    const server = await fakeGitHub({
      intercept(req) {
        if (limited || req.path !== '/orgs/acme/repos') return undefined;
        limited = true;
        return {
          status: 403,
          headers: {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(clock.now() / 1000) + 120),
          },
          body: {
            message: 'API rate limit exceeded for user ID 1.',
            documentation_url: 'https://docs.github.com/rest',
          },
        };
      },
    });
    const { records, problems } = await fetchAll(configFor(server), clock);
    expect(problems).toEqual([]);
    expect(records.some((r) => r.kind === 'repository')).toBe(true);
    expect(clock.waits.some((ms) => ms >= 119_000 && ms <= 121_050)).toBe(true);
  });

  it('waits as long as a secondary rate limit asks (retry-after) and goes on', async () => {
    let limited = false;
    const clock = fakeClock();
    const server = await fakeGitHub({
      intercept(req) {
        if (limited || !req.path.endsWith('/members')) return undefined;
        limited = true;
        return {
          status: 403,
          headers: { 'retry-after': '60' },
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
        };
      },
    });
    const { problems } = await fetchAll(configFor(server), clock);
    expect(problems).toEqual([]);
    expect(clock.waits).toEqual([60_000]);
  });

  it('fails instead of waiting longer than five minutes for a rate limit, saying so', async () => {
    const clock = fakeClock();
    const server = await fakeGitHub({
      intercept: (req) =>
        req.path === '/orgs/acme/teams'
          ? {
              status: 403,
              headers: {
                'x-ratelimit-remaining': '0',
                'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
              },
              body: { message: 'API rate limit exceeded for user ID 1.' },
            }
          : undefined,
    });
    await expect(fetchAll(configFor(server), clock)).rejects.toThrow(
      /rate limited by http:\/\/127\.0\.0\.1:\d+\/orgs\/acme\/teams\?per_page=100 \(primary rate limit\) for 360\d s, longer than the 300 s allowed/,
    );
    expect(clock.waits).toEqual([]);
  });

  it('stops waiting for a rate limit when the run is aborted', async () => {
    const controller = new AbortController();
    // A clock whose waits end only by the abort, which comes as soon as one starts.
    const clock: Clock = {
      now: () => Date.now(),
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          controller.abort(new Error('sync cancelled'));
        }),
    };
    const server = await fakeGitHub({
      intercept: (req) =>
        req.path === '/orgs/acme/teams'
          ? {
              status: 429,
              headers: { 'retry-after': '30' },
              body: { message: 'You have exceeded a secondary rate limit.' },
            }
          : undefined,
    });
    const ctx = testConnectorContext({ clock, egress, signal: controller.signal });
    const read = async () => {
      for await (const _ of githubConnector.fetch!(configFor(server), ctx));
    };
    await expect(read()).rejects.toThrow('sync cancelled');
    expect(server.requests.filter((r) => r.path === '/orgs/acme/teams')).toHaveLength(1);
  });

  it('asks again after a server error, backing off on the connector clock', async () => {
    let failed = false;
    const clock = fakeClock();
    const server = await fakeGitHub({
      intercept(req) {
        if (failed || req.path !== '/orgs/acme/teams') return undefined;
        failed = true;
        return { status: 502, body: { message: 'Server Error' } };
      },
    });
    const { problems } = await fetchAll(configFor(server), clock);
    expect(problems).toEqual([]);
    expect(server.requests.filter((r) => r.path === '/orgs/acme/teams')).toHaveLength(2);
    // The first back-off: 500 ms with ±25 % jitter.
    expect(clock.waits).toHaveLength(1);
    expect(clock.waits[0]).toBeGreaterThanOrEqual(375);
    expect(clock.waits[0]).toBeLessThanOrEqual(625);
  });

  it('sends every request through the egress policy: a host it does not allow is refused, once', async () => {
    const server = await fakeGitHub();
    const clock = fakeClock();
    const policy = createEgressPolicy();
    let attempts = 0;
    const counted: EgressPolicy = {
      ...policy,
      fetcher(extra) {
        const fetch = policy.fetcher(extra);
        return ((...args: Parameters<typeof fetch>) => {
          attempts++;
          return fetch(...args);
        }) as typeof fetch;
      },
    };
    const ctx = testConnectorContext({ clock, egress: counted });
    const read = async () => {
      for await (const _ of githubConnector.fetch!(configFor(server), ctx));
    };
    await expect(read()).rejects.toThrow(/refused http:\/\/127\.0\.0\.1:\d+: it is a loopback address/);
    expect(attempts).toBe(1);
    expect(server.requests).toEqual([]);
    expect(clock.waits).toEqual([]);
  });

  it('asks again when the connection fails, four times with growing back-off, then gives up', async () => {
    const server = await fakeGitHub();
    const config = configFor(server);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const clock = fakeClock();
    await expect(fetchAll(config, clock)).rejects.toThrow(
      /request to http:\/\/127\.0\.0\.1:\d+\/orgs\/acme\/teams\?per_page=100 failed after 5 attempts/,
    );
    expect(clock.waits).toHaveLength(4);
    for (const [i, ms] of clock.waits.entries()) {
      expect(ms).toBeGreaterThanOrEqual(500 * 2 ** i * 0.75);
      expect(ms).toBeLessThanOrEqual(500 * 2 ** i * 1.25);
    }
  });

  it('sends the token as a Bearer token with the API version the mapping was written for', async () => {
    const server = await fakeGitHub({ basePath: '/api/v3' });
    await fetchAll(configFor(server, { include: ['teams'] }));
    expect(server.requests.length).toBeGreaterThan(0);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe('Bearer ghp_test_token');
      expect(r.headers['x-github-api-version']).toBe('2022-11-28');
      expect(r.headers['user-agent']).toMatch(/^plexus-github-connector /);
    }
  });

  it('reports a repository part it cannot read and goes on with the others', async () => {
    const server = await fakeGitHub({
      intercept: (req) =>
        req.path === '/repos/acme/search-api/actions/workflows'
          ? { status: 404, body: { message: 'Not Found' } }
          : undefined,
    });
    const { records, problems } = await fetchAll(configFor(server));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ origin: 'acme/search-api workflows', kind: 'workflows' });
    expect(
      records.some((r) => r.kind === 'dependabotAlert' && (r.data as any).repository.name === 'search-api'),
    ).toBe(true);
  });

  it('fails the whole read when the organisation itself cannot be listed', async () => {
    const server = await fakeGitHub({ token: 'another-token' });
    await expect(fetchAll(configFor(server))).rejects.toThrow(/401/);
  });
});

describe('github mapping functions', () => {
  it('takes the owner team of the last rule that matches every file', () => {
    const file = {
      encoding: 'base64',
      content: Buffer.from('* @acme/a\n/docs/ @acme/docs\n** @ACME/B @bob\n').toString('base64'),
    };
    expect(codeownersTeam(file, 'acme')).toBe('b');
    expect(codeownersTeam(file, 'other-org')).toBeUndefined();
    expect(codeownersTeam({ content: '# only people\n* @alice\n' }, 'acme')).toBeUndefined();
    expect(codeownersTeam(null, 'acme')).toBeUndefined();
  });

  it('tells the environment type from common names', () => {
    expect(['prod-eu', 'production', 'staging', 'dev', 'qa-2', 'demo'].map(environmentType)).toEqual([
      'production',
      'production',
      'staging',
      'development',
      'test',
      undefined,
    ]);
  });
});

describe('github webhooks', () => {
  const secret = 'whsec';

  async function deltasOf(event: string, body: unknown, data?: GitHubFixtures) {
    const server = await fakeGitHub({ extraNames: ['sre', 'search-gateway'] }, data);
    const config = configFor(server, { webhookSecret: secret });
    const problems: FetchProblem[] = [];
    const raw = JSON.stringify(body);
    const headers = { 'x-github-event': event, 'x-hub-signature-256': sign(raw) };
    expect(await githubConnector.webhook!.verify(headers, raw, config)).toBe(true);
    return githubConnector.webhook!.toDeltas(headers, body, config, contextFor(fakeClock(), problems));
  }

  it('accepts only the X-Hub-Signature-256 of the raw body under the source secret', async () => {
    const config = githubConfig.parse({ org: 'acme', token: 't', webhookSecret: secret });
    const body = JSON.stringify(readGitHubDelivery('repository.edited'));
    const verify = (h: Record<string, string>, b = body) => githubConnector.webhook!.verify(h, b, config);
    expect(await verify({ 'x-hub-signature-256': sign(body) })).toBe(true);
    expect(await verify({ 'x-hub-signature-256': sign(body, 'wrong') })).toBe(false);
    expect(await verify({ 'x-hub-signature-256': sign(body) }, `${body} `)).toBe(false);
    expect(await verify({})).toBe(false);
    // The legacy SHA-1 header alone is not enough.
    expect(
      await verify({ 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}` }),
    ).toBe(false);
    const noSecret = githubConfig.parse({ org: 'acme', token: 't' });
    expect(await githubConnector.webhook!.verify({ 'x-hub-signature-256': sign(body) }, body, noSecret)).toBe(
      false,
    );
  });

  it('turns repository.edited into the repository record, CODEOWNERS read again', async () => {
    const deltas = await deltasOf('repository', readGitHubDelivery('repository.edited'));
    expect(deltas.deletes).toEqual([]);
    expect(deltas.upserts.map((r) => r.kind)).toEqual(['repository']);
    expect((deltas.upserts[0].data as any).codeowners.path).toBe('.github/CODEOWNERS');
  });

  it('turns repository.renamed into the new repository and the removal of the old name', async () => {
    const data = loadGitHubFixtures();
    data.repos[1] = { ...data.repos[1], name: 'search-gateway', full_name: 'acme/search-gateway' };
    const delivery = readGitHubDelivery('repository.renamed');
    const deltas = await deltasOf('repository', delivery, data);
    expect(deltas.upserts.map((r) => (r.data as any).repository.name)).toEqual(['search-gateway']);
    expect(deltas.deletes.map((r) => (r.data as any).repository.name)).toEqual(['search-api']);
  });

  it('reads the repository again after a push that changes CODEOWNERS on the default branch, only then', async () => {
    const push = readGitHubDelivery('push') as any;
    expect((await deltasOf('push', push)).upserts.map((r) => r.kind)).toEqual(['repository']);
    const other = { ...push, commits: [{ ...push.commits[0], modified: ['src/cart.ts'] }] };
    expect(await deltasOf('push', other)).toEqual({ upserts: [], deletes: [] });
    expect(await deltasOf('push', { ...push, ref: 'refs/heads/feature' })).toEqual({
      upserts: [],
      deletes: [],
    });
  });

  it('reads the repository again when a pull request is merged into the default branch', async () => {
    const pr = readGitHubDelivery('pull_request.closed') as any;
    expect((await deltasOf('pull_request', pr)).upserts.map((r) => r.kind)).toEqual(['repository']);
    const unmerged = { ...pr, pull_request: { ...pr.pull_request, merged: false } };
    expect(await deltasOf('pull_request', unmerged)).toEqual({ upserts: [], deletes: [] });
  });

  it('turns workflow_run into the workflow record with its runs read again', async () => {
    const deltas = await deltasOf('workflow_run', readGitHubDelivery('workflow_run.completed'));
    expect(deltas.upserts).toHaveLength(1);
    expect(deltas.upserts[0]).toMatchObject({
      kind: 'workflow',
      data: { workflow: { path: '.github/workflows/build.yml' } },
    });
    expect((deltas.upserts[0].data as any).runs).toHaveLength(2);
  });

  it('upserts a Dependabot alert in a read state and removes one that left them', async () => {
    const delivery = readGitHubDelivery('dependabot_alert.fixed');
    const upsert = await deltasOf('dependabot_alert', delivery);
    expect(upsert.upserts.map((r) => (r.data as any).alert.state)).toEqual(['fixed']);
    const server = await fakeGitHub();
    const config = configFor(server, { webhookSecret: secret, alertStates: ['open'] });
    const out = await githubConnector.webhook!.toDeltas(
      { 'x-github-event': 'dependabot_alert' },
      delivery,
      config,
      contextFor(fakeClock(), []),
    );
    expect(out.upserts).toEqual([]);
    expect(out.deletes).toHaveLength(1);
  });

  it('turns team.created into the team with its members', async () => {
    const data = loadGitHubFixtures();
    const delivery = readGitHubDelivery('team.created') as any;
    data.teams.push(delivery.team);
    data.teamMembers.sre = [data.teamMembers.platform[0]];
    const deltas = await deltasOf('team', delivery, data);
    expect(deltas.deletes).toEqual([]);
    expect(deltas.upserts).toHaveLength(1);
    expect(deltas.upserts[0]).toMatchObject({
      kind: 'team',
      data: { team: { slug: 'sre', members_count: 1 } },
    });
    expect((deltas.upserts[0].data as any).members.map((m: { login: string }) => m.login)).toEqual([
      'dave-platform',
    ]);
  });

  it('turns membership.added into the team and the person with all their teams', async () => {
    const data = loadGitHubFixtures();
    data.teamMembers.payments.push(data.teamMembers['search-team'][1]);
    const deltas = await deltasOf('membership', readGitHubDelivery('membership.added'), data);
    expect(deltas.deletes).toEqual([]);
    expect(deltas.upserts.map((r) => r.kind)).toEqual(['team', 'member']);
    expect((deltas.upserts[0].data as any).members).toHaveLength(3);
    expect((deltas.upserts[1].data as any).teams).toEqual(['payments', 'search-team']);
  });

  it('ignores deliveries about another organisation, and events it does not map', async () => {
    const other = {
      ...readGitHubDelivery('dependabot_alert.fixed'),
      organization: { login: 'someone-else' },
    } as any;
    other.repository = { ...other.repository, owner: { login: 'someone-else' } };
    expect(await deltasOf('dependabot_alert', other)).toEqual({ upserts: [], deletes: [] });
    expect(await deltasOf('star', readGitHubDelivery('repository.edited'))).toEqual({
      upserts: [],
      deletes: [],
    });
  });
});
