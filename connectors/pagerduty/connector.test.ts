import { createHmac } from 'node:crypto';
import {
  type Clock,
  type ConnectorContext,
  compileMapping,
  createEgressPolicy,
  type FetchProblem,
  type MappedEntity,
  type RawRecord,
} from '@plexus/connector-sdk';
import { type FakeServer, fakeClock, testConnectorContext } from '@plexus/connector-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type PagerDutyConfig, pagerdutyConfig } from './config.ts';
import { pagerdutyConnector } from './connector.ts';
import {
  allPdItems,
  type FakePagerDutyOptions,
  loadPagerDutyFixtures,
  type PagerDutyFixtures,
  readPagerDutyDelivery,
  startFakePagerDuty,
} from './fake-pagerduty.ts';
import { incidentSeverity, slug } from './mapping-functions.ts';

// The fake servers listen on 127.0.0.1: allowed explicitly, as an operator would with PLEXUS_EGRESS_ALLOW.
const egress = createEgressPolicy({ allow: ['127.0.0.1'] });

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const start = Date.parse('2025-05-02T12:00:00Z');

function contextFor(clock: Clock, problems: FetchProblem[] = []): ConnectorContext {
  return testConnectorContext({ sourceId: 'pagerduty-test', clock, problems, egress });
}

async function fakePagerDuty(overrides: Partial<FakePagerDutyOptions> = {}, data = loadPagerDutyFixtures()) {
  const server = await startFakePagerDuty({
    data,
    state: { items: allPdItems(data), failure: 'none' },
    ...overrides,
  });
  servers.push(server);
  return server;
}

const configFor = (server: FakeServer, extra: Record<string, unknown> = {}): PagerDutyConfig =>
  pagerdutyConfig.parse({ baseUrl: server.url, token: 'pd-test-token', webhookSecret: 'pdsec', ...extra });

async function fetchAll(config: PagerDutyConfig, clock: Clock = fakeClock(start)) {
  const records: RawRecord[] = [];
  for await (const r of pagerdutyConnector.fetch!(config, contextFor(clock))) records.push(r);
  return records;
}

const mapping = compileMapping(pagerdutyConnector.defaultMapping, {
  functions: pagerdutyConnector.mappingFunctions,
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

describe('pagerduty connector, against a fake PagerDuty', () => {
  it('reads services, escalation policies with their on-calls, and incidents, and maps them without errors', async () => {
    const server = await fakePagerDuty();
    const records = await fetchAll(configFor(server));
    expect(records.map((r) => r.kind)).toEqual([
      'service',
      'service',
      'service',
      'escalationPolicy',
      'escalationPolicy',
      'incident',
      'incident',
      'incident',
    ]);
    const { entities, errors } = await mapAll(records);
    expect(errors).toEqual([]);
    expect([...entities.keys()].sort()).toEqual([
      'incident:pd-Q0RIJJZL24RC6W',
      'incident:pd-Q2W9X8DJEPE6KJ',
      'incident:pd-Q3JLPP3QK0KCA1',
      'team:discovery',
      'team:payments',
    ]);
  });

  it('sends the token as Token token=..., asks for API v2 and pages with offset and limit until more is false', async () => {
    const server = await fakePagerDuty();
    await fetchAll(configFor(server, { pageSize: 1 }));
    const first = server.requests[0];
    expect(first.headers.authorization).toBe('Token token=pd-test-token');
    expect(first.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    const offsets = server.requests.filter((r) => r.path === '/services').map((r) => r.query.get('offset'));
    expect(offsets).toEqual(['0', '1', '2']);
  });

  it('asks for the incidents of the configured days and statuses', async () => {
    const server = await fakePagerDuty();
    const records = await fetchAll(
      configFor(server, { incidentDays: 30, incidentStatuses: ['triggered', 'acknowledged'] }),
    );
    const req = server.requests.find((r) => r.path === '/incidents')!;
    expect(req.query.getAll('statuses[]')).toEqual(['triggered', 'acknowledged']);
    expect(req.query.get('until')).toBe('2025-05-02T12:00:00.000Z');
    expect(req.query.get('since')).toBe('2025-04-02T12:00:00.000Z');
    expect(records.filter((r) => r.kind === 'incident')).toHaveLength(2);
  });

  it('maps an incident to the catalog service it affects, its severity, times and team', async () => {
    const server = await fakePagerDuty();
    const { entities } = await mapAll(await fetchAll(configFor(server)));
    expect(entities.get('incident:pd-Q2W9X8DJEPE6KJ')).toEqual({
      blueprint: 'incident',
      identifier: 'pd-Q2W9X8DJEPE6KJ',
      title: 'Checkout error rate above 5%',
      properties: { severity: 'sev1', status: 'triggered', openedAt: '2025-05-01T10:12:00Z' },
      relations: { affects: ['cart-service'], assignedTo: 'payments' },
    });
    expect(entities.get('incident:pd-Q3JLPP3QK0KCA1')).toMatchObject({
      properties: {
        severity: 'sev4',
        status: 'resolved',
        description: 'Search latency p99 over 2s for 10 minutes on the eu cluster',
        resolvedAt: '2025-04-28T23:17:40Z',
        timeToResolveMinutes: 72,
      },
      relations: { affects: ['search-api'], assignedTo: 'discovery' },
    });
    expect(entities.get('incident:pd-Q0RIJJZL24RC6W')?.properties).toMatchObject({
      severity: 'sev2',
      acknowledgedAt: '2025-04-30T18:44:51Z',
    });
  });

  it('matches services and teams through the configured maps, by id or by name', async () => {
    const server = await fakePagerDuty();
    const config = configFor(server, {
      serviceMap: { PSV2G9W: 'payment-gateway', 'Search API': 'search' },
      teamMap: { Payments: 'checkout' },
    });
    const { entities } = await mapAll(await fetchAll(config));
    expect(entities.get('incident:pd-Q0RIJJZL24RC6W')?.relations).toEqual({
      affects: ['payment-gateway'],
      assignedTo: 'checkout',
    });
    expect(entities.get('incident:pd-Q3JLPP3QK0KCA1')?.relations.affects).toEqual(['search']);
    expect(entities.has('team:checkout')).toBe(true);
  });

  it('gives each team the schedule of its first-level on-call, else its escalation policy', async () => {
    const server = await fakePagerDuty();
    const { entities } = await mapAll(await fetchAll(configFor(server)));
    expect(entities.get('team:payments')).toEqual({
      blueprint: 'team',
      identifier: 'payments',
      title: 'Payments',
      properties: { onCallUrl: 'https://acme.pagerduty.com/schedules/PSC8J2K' },
      relations: {},
    });
    expect(entities.get('team:discovery')?.properties.onCallUrl).toBe(
      'https://acme.pagerduty.com/escalation_policies/PE7KX2M',
    );
  });

  it('waits out a 429 as long as ratelimit-reset says, then goes on', async () => {
    let limited = false;
    const clock = fakeClock(start);
    const server = await fakePagerDuty({
      intercept(req) {
        if (limited || req.path !== '/incidents') return undefined;
        limited = true;
        return {
          status: 429,
          headers: { 'ratelimit-limit': '960', 'ratelimit-remaining': '0', 'ratelimit-reset': '17' },
          body: { error: { message: 'Rate Limit Exceeded', code: 2020 } },
        };
      },
    });
    const records = await fetchAll(configFor(server), clock);
    expect(records.filter((r) => r.kind === 'incident')).toHaveLength(3);
    expect(clock.waits).toContain(17_050);
  });

  it('fails the read when PagerDuty refuses the token', async () => {
    const server = await fakePagerDuty({ token: 'another' });
    await expect(fetchAll(configFor(server))).rejects.toThrow(/401/);
  });
});

describe('pagerduty mapping functions', () => {
  it('turns names into identifiers', () => {
    expect(['Cart Service', 'Payment Gateway (prod)', '  --', 'API v2'].map(slug)).toEqual([
      'cart-service',
      'payment-gateway-prod',
      undefined,
      'api-v2',
    ]);
  });

  it('prefers the priority over the urgency for the severity', () => {
    expect(incidentSeverity({ summary: 'P5' }, 'high')).toBe('sev4');
    expect(incidentSeverity(null, 'high')).toBe('sev2');
    expect(incidentSeverity({ summary: 'Critical' }, 'low')).toBe('sev4');
    expect(incidentSeverity(undefined, undefined)).toBeUndefined();
  });
});

describe('pagerduty webhooks', () => {
  const sign = (body: string, secret = 'pdsec') =>
    `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;

  async function deltasOf(body: unknown, data?: PagerDutyFixtures, extra: Record<string, unknown> = {}) {
    const server = await fakePagerDuty({}, data);
    const config = configFor(server, extra);
    return pagerdutyConnector.webhook!.toDeltas({}, body, config, contextFor(fakeClock(start)));
  }

  it('accepts any of several comma-separated v1 signatures of the raw body, and nothing else', async () => {
    const config = pagerdutyConfig.parse({ token: 't', webhookSecret: 'pdsec' });
    const body = JSON.stringify(readPagerDutyDelivery('incident.acknowledged'));
    const verify = (signature: string | undefined, raw = body) =>
      pagerdutyConnector.webhook!.verify(
        signature ? { 'x-pagerduty-signature': signature } : {},
        raw,
        config,
      );
    expect(await verify(sign(body))).toBe(true);
    expect(await verify(`${sign(body, 'old-secret')},${sign(body)}`)).toBe(true);
    expect(await verify(`${sign(body, 'old-secret')},${sign(body, 'other')}`)).toBe(false);
    expect(await verify(sign(body).replace('v1=', 'v0='))).toBe(false);
    expect(await verify(sign(body), body.replace('acknowledged', 'resolved'))).toBe(false);
    expect(await verify(undefined)).toBe(false);
  });

  it('reads an incident again for an incident event and gives its record', async () => {
    const data = loadPagerDutyFixtures();
    data.incidents[0].status = 'acknowledged';
    const deltas = await deltasOf(readPagerDutyDelivery('incident.acknowledged'), data);
    expect(deltas.deletes).toEqual([]);
    expect(deltas.upserts).toHaveLength(1);
    expect(deltas.upserts[0]).toMatchObject({
      kind: 'incident',
      data: { incident: { status: 'acknowledged' } },
    });
  });

  it('follows the incident reference of a note event', async () => {
    const deltas = await deltasOf(readPagerDutyDelivery('incident.annotated'));
    expect(deltas.upserts.map((r) => (r.data as any).incident.id)).toEqual(['Q2W9X8DJEPE6KJ']);
  });

  it('removes an incident whose new status the source does not read', async () => {
    const data = loadPagerDutyFixtures();
    data.incidents[0].status = 'resolved';
    const deltas = await deltasOf(readPagerDutyDelivery('incident.resolved'), data, {
      incidentStatuses: ['triggered', 'acknowledged'],
    });
    expect(deltas.upserts).toEqual([]);
    expect(deltas.deletes).toHaveLength(1);
  });

  it('reads a service again for a service event', async () => {
    const deltas = await deltasOf(readPagerDutyDelivery('service.updated'));
    expect(deltas.upserts).toMatchObject([{ kind: 'service', data: { service: { id: 'PSV8S2Q' } } }]);
  });
});
