/**
 * A fake PagerDuty REST API v2 for tests: real HTTP on 127.0.0.1, serving the recorded payloads
 * of `__fixtures__/` with PagerDuty's paths, classic `offset`/`limit`/`more` pagination,
 * `Authorization: Token token=...` and its error bodies. The account holds the services,
 * escalation policies and incidents named in `state.items`; incident ids and team names get the
 * test's prefix.
 */
import { readFileSync } from 'node:fs';
import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from '@plexus/connector-sdk/fake-server';
import type { OnCall, PdObject } from './client.ts';

/** The recorded account. */
export interface PagerDutyFixtures {
  services: PdObject[];
  policies: PdObject[];
  oncalls: OnCall[];
  incidents: PdObject[];
}

const read = (file: string) =>
  JSON.parse(readFileSync(new URL(`./__fixtures__/${file}`, import.meta.url), 'utf8'));

/** A fresh copy of the recorded account (tests may change it). */
export function loadPagerDutyFixtures(): PagerDutyFixtures {
  return {
    services: read('services.json').services,
    policies: read('escalation_policies.json').escalation_policies,
    oncalls: read('oncalls.json').oncalls,
    incidents: read('incidents.json').incidents,
  };
}

/** A recorded v3 webhook delivery from `__fixtures__/webhooks/`. */
export function readPagerDutyDelivery(name: string): Record<string, unknown> {
  return read(`webhooks/${name}.json`);
}

/** What exists in the fake account, by recorded id. */
export interface PdItem {
  type: 'service' | 'escalationPolicy' | 'incident';
  id: string;
}

/** Every object of the recording. */
export function allPdItems(data: PagerDutyFixtures): PdItem[] {
  return [
    ...data.incidents.map((i): PdItem => ({ type: 'incident', id: i.id })),
    ...data.policies.map((p): PdItem => ({ type: 'escalationPolicy', id: p.id })),
    ...data.services.map((s): PdItem => ({ type: 'service', id: s.id })),
  ];
}

/** Options of {@link startFakePagerDuty}. */
export interface FakePagerDutyOptions {
  data: PagerDutyFixtures;
  state: { items: PdItem[]; failure: 'none' | 'at-start' | 'midway' };
  prefix?: string;
  token?: string;
  /** Answers a request before the fake does (rate limits, outages); undefined lets it through. */
  intercept?: (req: FakeRequest) => FakeResponse | undefined;
}

const error = (status: number, message: string, code: number, errors?: string[]): FakeResponse => ({
  status,
  body: { error: { message, code, ...(errors ? { errors } : {}) } },
});

/** Starts the fake PagerDuty. */
export async function startFakePagerDuty(options: FakePagerDutyOptions): Promise<FakeServer> {
  const { data, state } = options;
  const token = options.token ?? 'pd-test-token';
  const prefix = options.prefix ? `${options.prefix}-` : '';
  const teams = new Set<string>();
  for (const o of [...data.services, ...data.policies, ...data.incidents])
    for (const t of (o.teams as { summary: string }[] | undefined) ?? []) teams.add(t.summary);
  const names = [...data.incidents.map((i) => i.id), ...teams];
  const vocabulary = new RegExp(`(?<![A-Za-z0-9_-])(${names.join('|')})(?![A-Za-z0-9_-])`, 'g');
  const withPrefix = (text: string) => (prefix ? text.replace(vocabulary, `${prefix}$1`) : text);
  const withoutPrefix = (id: string) => (prefix && id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const json = (body: unknown): FakeResponse => ({ body: JSON.parse(withPrefix(JSON.stringify(body))) });
  const present = (type: PdItem['type']) =>
    new Set(state.items.filter((i) => i.type === type).map((i) => i.id));

  function page(req: FakeRequest, key: string, list: unknown[]): FakeResponse {
    const offset = Number(req.query.get('offset') ?? 0);
    const limit = Math.min(100, Number(req.query.get('limit') ?? 25));
    if (state.failure === 'midway' && offset > 0)
      return error(400, 'Invalid Input Provided', 2001, ['Offset must be less than or equal to the total.']);
    return json({
      [key]: list.slice(offset, offset + limit),
      limit,
      offset,
      total: req.query.get('total') === 'true' ? list.length : null,
      more: offset + limit < list.length,
    });
  }

  function route(req: FakeRequest): FakeResponse {
    const [a, b] = req.path
      .split('/')
      .slice(1)
      .map((p) => withoutPrefix(decodeURIComponent(p)));
    if (a === 'services') {
      const list = data.services.filter((s) => present('service').has(s.id));
      if (!b) return page(req, 'services', list);
      const service = list.find((s) => s.id === b);
      return service ? json({ service }) : error(404, 'Not Found', 2100);
    }
    if (a === 'escalation_policies' && !b)
      return page(
        req,
        'escalation_policies',
        data.policies.filter((p) => present('escalationPolicy').has(p.id)),
      );
    if (a === 'oncalls' && !b) {
      const policies = present('escalationPolicy');
      return page(
        req,
        'oncalls',
        data.oncalls.filter((o) => policies.has(o.escalation_policy.id)),
      );
    }
    if (a === 'incidents') {
      const list = data.incidents.filter((i) => present('incident').has(i.id));
      if (!b) {
        const statuses = req.query.getAll('statuses[]');
        return page(
          req,
          'incidents',
          list.filter((i) => statuses.length === 0 || statuses.includes(String(i.status))),
        );
      }
      const incident = list.find((i) => i.id === b);
      return incident ? json({ incident }) : error(404, 'Not Found', 2100);
    }
    return error(404, 'Not Found', 2100);
  }

  return startFakeServer((req) => {
    const intercepted = options.intercept?.(req);
    if (intercepted) return intercepted;
    if (req.headers.authorization !== `Token token=${token}` || state.failure === 'at-start')
      return error(401, 'Unauthorized', 2006);
    return route(req);
  });
}
