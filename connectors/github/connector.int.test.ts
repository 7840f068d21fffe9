import { createHmac } from 'node:crypto';
import { runConnectorContract, type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitHubConfig } from './config.ts';
import { githubConnector } from './connector.ts';
import {
  allOrgItems,
  type FakeGitHub,
  type GitHubFixtures,
  loadGitHubFixtures,
  type OrgItem,
  readGitHubDelivery,
  startFakeGitHub,
} from './fake-github.ts';

const token = 'ghp_test_token';
const webhookSecret = 'whsec-github-test';
const recorded = loadGitHubFixtures();

// The contract's records are the organisation's repositories (the fork, which the connector
// skips, left out) and teams: removing the first repository removes its service and everything
// hanging off it.
const contractItems = allOrgItems(recorded)
  .filter((i) => i.type !== 'repository' || !recorded.repos.find((r) => r.name === i.name)?.fork)
  .sort((a, b) => (a.type === b.type ? 0 : a.type === 'repository' ? -1 : 1));

runConnectorContract<OrgItem, GitHubConfig>({
  name: 'github',
  startPlexus,
  fixtures: contractItems,
  async prepare(plexus) {
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  },
  async create(state, { prefix }) {
    const server = await startFakeGitHub({ data: loadGitHubFixtures(), state, prefix, token });
    // One item per page, so a failure "midway" can fail the second page of repositories.
    return {
      connector: githubConnector,
      config: { baseUrl: server.apiUrl, org: 'acme', token, pageSize: 1 },
      close: server.close,
    };
  },
});

describe('github connector: a fake organisation end to end', () => {
  let plexus: PlexusUnderTest;
  const servers: FakeGitHub[] = [];
  const sources: string[] = [];

  beforeAll(async () => {
    plexus = await startPlexus();
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  });
  afterAll(async () => {
    for (const id of sources) await plexus.call('DELETE', `/api/v1/sources/${id}?purge=true`).catch(() => {});
    for (const s of servers) await s.close();
    await plexus.close();
  });

  /** A fake organisation with its own prefix, registered as a github source and synced once. */
  async function syncedOrg(data: GitHubFixtures = loadGitHubFixtures()) {
    const prefix = uniqueId('g');
    const server = await startFakeGitHub({
      data,
      state: { items: allOrgItems(data), failure: 'none' },
      prefix,
      token,
      basePath: '/api/v3',
    });
    servers.push(server);
    const id = uniqueId('github-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'github',
      config: { baseUrl: server.apiUrl, org: 'acme', token, webhookSecret },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sources.push(id);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    expect(started.status).toBe(202);
    await plexus.services.sources.waitForRun(started.body.run);
    const run = (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
    const n = (name: string) => `${prefix}-${name}`;
    return { id, prefix, server, data, run, n };
  }

  const entity = async (blueprint: string, identifier: string) =>
    plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`);

  const deliver = (id: string, event: string, body: unknown, signature?: string, deliveryId = uniqueId('delivery-')) => {
    const raw = JSON.stringify(body);
    return plexus.call('POST', `/webhooks/${id}`, raw, {
      token: null,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': deliveryId,
        'x-hub-signature-256':
          signature ?? `sha256=${createHmac('sha256', webhookSecret).update(raw).digest('hex')}`,
      },
    });
  };

  /** A delivery as GitHub would send it for this organisation: names carry the test's prefix. */
  const delivery = (name: string, prefix: string, names: string[]) => {
    const text = JSON.stringify(readGitHubDelivery(name));
    const re = new RegExp(`(?<![A-Za-z0-9_-])(${names.join('|')})(?![A-Za-z0-9_-])`, 'g');
    return JSON.parse(text.replace(re, `${prefix}-$1`));
  };
  const vocabulary = [
    'cart-service',
    'search-api',
    'billing-worker',
    'payments',
    'search-team',
    'platform',
    'alice-dev',
    'bob-ops',
    'carol-search',
    'dave-platform',
  ];

  it('syncs the organisation into the graph: services, owners, teams, people, pipelines, vulnerabilities, deployments', async () => {
    const { run, n } = await syncedOrg();
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
    expect(run.created).toBe(22);
    const cart = await entity('service', n('cart-service'));
    expect(cart.body).toMatchObject({
      properties: { language: 'typescript', lifecycle: 'production', tier: 1 },
      relations: { ownedBy: n('payments') },
    });
    expect((await entity('team', n('payments'))).body).toMatchObject({
      properties: { headcount: 2 },
      relations: { parent: n('platform') },
    });
    expect((await entity('person', n('alice-dev'))).body.relations.memberOf.sort()).toEqual(
      [n('payments'), n('search-team')].sort(),
    );
    expect((await entity('pipeline', `${n('cart-service')}/ci.yml`)).body).toMatchObject({
      properties: { status: 'passing', provider: 'githubActions' },
      relations: { builds: [n('cart-service')] },
    });
    expect((await entity('vulnerability', `${n('cart-service')}/dependabot/14`)).body).toMatchObject({
      properties: { severity: 'critical', status: 'open' },
      relations: { affects: [`service:${n('cart-service')}`] },
    });
    expect((await entity('deployment', `${n('cart-service')}/deployments/1840112233`)).body).toMatchObject({
      properties: { status: 'succeeded', version: 'v2.4.1' },
      relations: { deploys: n('cart-service'), environment: n('prod-eu') },
    });
    expect((await entity('environment', n('prod-eu'))).body.properties.type).toBe('production');
    expect((await entity('service', n('legacy-fork'))).status).toBe(404);
  });

  it('answers questions across the synced graph: open critical vulnerabilities of a team’s services', async () => {
    const { n } = await syncedOrg();
    const res = await plexus.call('POST', '/api/v1/search', {
      blueprint: 'vulnerability',
      combinator: 'and',
      rules: [
        { property: 'severity', operator: '=', value: 'critical' },
        { property: 'status', operator: '=', value: 'open' },
        {
          relation: 'affects',
          direction: 'outgoing',
          blueprint: 'service',
          rules: [{ relation: 'ownedBy', direction: 'outgoing', identifier: n('payments') }],
        },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entities.map((e: { identifier: string }) => e.identifier)).toEqual([
      `${n('cart-service')}/dependabot/14`,
    ]);
  });

  it('applies a signed webhook before answering: a fixed Dependabot alert is fixed in the graph', async () => {
    const { id, prefix, n } = await syncedOrg();
    const res = await deliver(id, 'dependabot_alert', delivery('dependabot_alert.fixed', prefix, vocabulary));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ updated: 1, created: 0, deleted: 0, errors: [] });
    // The answer reports the change applied: it is in the graph as soon as the delivery is answered.
    expect((await entity('vulnerability', `${n('cart-service')}/dependabot/14`)).body.properties?.status).toBe('fixed');
  });

  it('answers 401 to a delivery with a bad signature and changes nothing', async () => {
    const { id, prefix, n } = await syncedOrg();
    const before = await entity('vulnerability', `${n('cart-service')}/dependabot/14`);
    const body = delivery('dependabot_alert.fixed', prefix, vocabulary);
    const forged = await deliver(id, 'dependabot_alert', body, `sha256=${'0'.repeat(64)}`);
    expect(forged.status).toBe(401);
    const otherSecret = `sha256=${createHmac('sha256', 'not-the-secret').update(JSON.stringify(body)).digest('hex')}`;
    expect((await deliver(id, 'dependabot_alert', body, otherSecret)).status).toBe(401);
    const after = await entity('vulnerability', `${n('cart-service')}/dependabot/14`);
    expect(after.body.properties.status).toBe('open');
    expect(after.body.meta).toEqual(before.body.meta);
  });

  it('refuses a delivery id it has seen with 409, changing nothing', async () => {
    const { id, prefix, n } = await syncedOrg();
    const body = delivery('dependabot_alert.fixed', prefix, vocabulary);
    const deliveryId = uniqueId('delivery-');
    expect((await deliver(id, 'dependabot_alert', body, undefined, deliveryId)).status).toBe(202);
    const before = await entity('vulnerability', `${n('cart-service')}/dependabot/14`);
    const replay = await deliver(id, 'dependabot_alert', body, undefined, deliveryId);
    expect(replay.status).toBe(409);
    expect(replay.body.error.message).toMatch(/received before/);
    const after = await entity('vulnerability', `${n('cart-service')}/dependabot/14`);
    expect(after.body.meta).toEqual(before.body.meta);
  });

  it('applies repository.edited by reading the repository again', async () => {
    const { id, prefix, data, n } = await syncedOrg();
    const body = delivery('repository.edited', prefix, vocabulary);
    data.repos[0].description = 'Shopping cart API: baskets, promotions and checkout hand-off.';
    expect((await deliver(id, 'repository', body)).body).toMatchObject({ updated: 1 });
    expect((await entity('service', n('cart-service'))).body.properties.description).toBe(
      'Shopping cart API: baskets, promotions and checkout hand-off.',
    );
  });

  it('moves ownership when a push changes CODEOWNERS on the default branch', async () => {
    const { id, prefix, data, n } = await syncedOrg();
    const file = data.contents['cart-service/.github/CODEOWNERS'];
    file.content = Buffer.from('* @acme/search-team\n').toString('base64');
    expect((await deliver(id, 'push', delivery('push', prefix, vocabulary))).body).toMatchObject({
      updated: 1,
    });
    expect((await entity('service', n('cart-service'))).body.relations.ownedBy).toBe(n('search-team'));
  });

  it('applies a membership change to the team and to the person', async () => {
    const { id, prefix, data, n } = await syncedOrg();
    data.teamMembers.payments.push(data.teamMembers['search-team'][1]);
    const res = await deliver(id, 'membership', delivery('membership.added', prefix, vocabulary));
    expect(res.body).toMatchObject({ updated: 2, errors: [] });
    expect((await entity('team', n('payments'))).body.properties.headcount).toBe(3);
    expect((await entity('person', n('carol-search'))).body.relations.memberOf.sort()).toEqual(
      [n('payments'), n('search-team')].sort(),
    );
  });

  it('a delivery about what the graph already holds writes nothing', async () => {
    const { id, prefix } = await syncedOrg();
    const body = delivery('workflow_run.completed', prefix, vocabulary);
    // The connector reads the workflow's runs again, and GitHub serves the runs the sync saw.
    const res = await deliver(id, 'workflow_run', body);
    expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
  });

  it('reports a repository the sdlc service cannot hold (no tier topic) and writes the rest', async () => {
    const data = loadGitHubFixtures();
    data.repos[1].topics = ['search'];
    const { run, n } = await syncedOrg(data);
    expect(run.status).toBe('succeeded');
    expect(run.errors).toBe(1);
    expect(run.errorDetails[0]).toMatchObject({ stage: 'validation', identifier: n('search-api') });
    expect(run.errorDetails[0].message).toMatch(/tier/);
    expect((await entity('service', n('cart-service'))).status).toBe(200);
  });

  it('never returns the token or the webhook secret', async () => {
    const { id } = await syncedOrg();
    const got = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(got.body.secretsSet.sort()).toEqual(['token', 'webhookSecret']);
    expect(JSON.stringify(got.body)).not.toContain(token);
    expect(JSON.stringify(got.body)).not.toContain(webhookSecret);
    expect(got.body.webhook.path).toBe(`/webhooks/${id}`);
  });
});
