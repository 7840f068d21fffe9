import { createHmac } from 'node:crypto';
import { type FakeServer, runConnectorContract, type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PagerDutyConfig } from './config.ts';
import { pagerdutyConnector } from './connector.ts';
import {
  allPdItems,
  loadPagerDutyFixtures,
  type PagerDutyFixtures,
  type PdItem,
  readPagerDutyDelivery,
  startFakePagerDuty,
} from './fake-pagerduty.ts';

const token = 'pd-test-token';
const webhookSecret = 'pd-whsec-test';

// Services are read but the sdlc mapping gives them no entity, so the contract's records are the
// incidents and the escalation policies (which give the teams).
const contractItems = allPdItems(loadPagerDutyFixtures()).filter((i) => i.type !== 'service');

runConnectorContract<PdItem, PagerDutyConfig>({
  name: 'pagerduty',
  startPlexus,
  fixtures: contractItems,
  async prepare(plexus) {
    expect((await plexus.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  },
  async create(state, { prefix }) {
    const server = await startFakePagerDuty({ data: loadPagerDutyFixtures(), state, prefix, token });
    // One object per page, so a failure "midway" can fail the second page.
    return {
      connector: pagerdutyConnector,
      config: { baseUrl: server.url, token, pageSize: 1 },
      close: server.close,
    };
  },
});

describe('pagerduty connector end to end', () => {
  let plexus: PlexusUnderTest;
  const servers: FakeServer[] = [];
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

  /** A fake account with its own prefix, registered as a pagerduty source and synced once. */
  async function syncedAccount(
    config: Record<string, unknown> = {},
    data: PagerDutyFixtures = loadPagerDutyFixtures(),
  ) {
    const prefix = uniqueId('p');
    const server = await startFakePagerDuty({
      data,
      state: { items: allPdItems(data), failure: 'none' },
      prefix,
      token,
    });
    servers.push(server);
    const id = uniqueId('pagerduty-');
    const created = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'pagerduty',
      config: { baseUrl: server.url, token, webhookSecret, ...config },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    sources.push(id);
    const started = await plexus.call('POST', `/api/v1/sources/${id}/sync`);
    await plexus.services.sources.waitForRun(started.body.run);
    const run = (await plexus.call('GET', `/api/v1/sources/${id}/runs/${started.body.run}`)).body;
    return { id, prefix, data, run, incident: (recorded: string) => `pd-${prefix}-${recorded}` };
  }

  const entity = (blueprint: string, identifier: string) =>
    plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(identifier)}`);

  /** Posts a recorded delivery as PagerDuty would for this account (ids with the test's prefix). */
  const deliver = (id: string, body: unknown, signature?: string) => {
    const raw = JSON.stringify(body);
    return plexus.call('POST', `/webhooks/${id}`, raw, {
      token: null,
      headers: {
        'content-type': 'application/json',
        'x-pagerduty-signature':
          signature ?? `v1=${createHmac('sha256', webhookSecret).update(raw).digest('hex')}`,
      },
    });
  };
  const prefixed = (body: unknown, prefix: string) =>
    JSON.parse(JSON.stringify(body).replace(/\bQ[0-9A-Z]{13}\b/g, `${prefix}-$&`));

  it('links incidents to the catalog services they affect, which an open-major-incident question then finds', async () => {
    const service = uniqueId('svc-');
    await plexus.call('POST', '/api/v1/blueprints/service/entities', {
      identifier: service,
      properties: { language: 'go', lifecycle: 'production', tier: 1 },
    });
    const { run, incident } = await syncedAccount({ serviceMap: { 'Cart Service': service } });
    expect(run.status, run.message).toBe('succeeded');
    expect(run.errors, JSON.stringify(run.errorDetails)).toBe(0);
    expect((await entity('incident', incident('Q2W9X8DJEPE6KJ'))).body).toMatchObject({
      properties: { severity: 'sev1', status: 'triggered' },
      relations: { affects: [service] },
    });
    const open = await plexus.call('POST', '/api/v1/search', {
      blueprint: 'service',
      rules: [
        { property: 'identifier', operator: '=', value: service },
        {
          relation: 'affects',
          direction: 'incoming',
          blueprint: 'incident',
          rules: [
            { property: 'severity', operator: 'in', value: ['sev1', 'sev2'] },
            { property: 'status', operator: 'in', value: ['triggered', 'acknowledged'] },
          ],
        },
      ],
    });
    expect(open.body.entities.map((e: { identifier: string }) => e.identifier)).toEqual([service]);
    await plexus.call('DELETE', `/api/v1/blueprints/service/entities/${service}`);
  });

  it('gives the teams of escalation policies their on-call link', async () => {
    const { prefix } = await syncedAccount();
    expect((await entity('team', `${prefix}-payments`)).body).toMatchObject({
      title: `${prefix}-Payments`,
      properties: { onCallUrl: 'https://acme.pagerduty.com/schedules/PSC8J2K' },
    });
  });

  it('applies a signed v3 webhook before answering: an acknowledged incident is acknowledged in the graph', async () => {
    const { id, prefix, data, incident } = await syncedAccount();
    data.incidents[0].status = 'acknowledged';
    data.incidents[0].acknowledgements = [
      { at: '2025-05-01T10:14:30Z', acknowledger: { id: 'PU1A7QX', type: 'user_reference' } },
    ];
    const res = await deliver(id, prefixed(readPagerDutyDelivery('incident.acknowledged'), prefix));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ updated: 1, errors: [] });
    // The answer reports the change applied: it is in the graph as soon as the delivery is answered.
    expect((await entity('incident', incident('Q2W9X8DJEPE6KJ'))).body.properties?.status).toBe('acknowledged');
    expect((await entity('incident', incident('Q2W9X8DJEPE6KJ'))).body.properties.acknowledgedAt).toBe(
      '2025-05-01T10:14:30Z',
    );
  });

  it('answers 401 to a delivery signed with another secret and changes nothing', async () => {
    const { id, prefix, data, incident } = await syncedAccount();
    data.incidents[0].status = 'resolved';
    const body = prefixed(readPagerDutyDelivery('incident.resolved'), prefix);
    const wrong = `v1=${createHmac('sha256', 'not-the-secret').update(JSON.stringify(body)).digest('hex')}`;
    expect((await deliver(id, body, wrong)).status).toBe(401);
    expect((await deliver(id, body, '')).status).toBe(401);
    expect((await entity('incident', incident('Q2W9X8DJEPE6KJ'))).body.properties.status).toBe('triggered');
  });

  it('never returns the API key or the webhook secret', async () => {
    const { id } = await syncedAccount();
    const got = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(got.body.secretsSet.sort()).toEqual(['token', 'webhookSecret']);
    expect(JSON.stringify(got.body)).not.toContain(token);
  });
});
