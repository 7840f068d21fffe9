/**
 * The PagerDuty REST API v2 calls the connector makes, over the SDK's HTTP client: classic
 * `offset`/`limit` pagination until `more` is false, 429 waits on `ratelimit-reset`/`Retry-After`,
 * retries, and a base URL (the EU service region). Bodies come back as PagerDuty sends them.
 */
import type { ConnectorContext, HttpClient } from '@plexus/connector-sdk';
import type { PagerDutyConfig } from './config.ts';

/** A PagerDuty object: the connector reads `id` and passes the rest on untouched. */
export interface PdObject {
  id: string;
  [field: string]: unknown;
}

/** An on-call entry (`GET /oncalls`): who is on call for which escalation policy and level. */
export interface OnCall {
  escalation_policy: { id: string };
  escalation_level: number;
  [field: string]: unknown;
}

/** The calls, bound to one account. */
export interface PagerDutyClient {
  listServices(): AsyncIterable<PdObject>;
  getService(id: string): Promise<PdObject | null>;
  listEscalationPolicies(): AsyncIterable<PdObject>;
  /** Current on-calls, the earliest per policy, level and user. */
  listOnCalls(): AsyncIterable<OnCall>;
  /** Incidents created since `since`, in the given statuses. */
  listIncidents(since: Date, until: Date, statuses: readonly string[]): AsyncIterable<PdObject>;
  getIncident(id: string): Promise<PdObject | null>;
}

/** Creates the client: `Authorization: Token token=...` and the v2 media type on every request. */
export function createPagerDutyClient(config: PagerDutyConfig, ctx: ConnectorContext): PagerDutyClient {
  const http: HttpClient = ctx.http({
    baseUrl: config.baseUrl,
    headers: {
      accept: 'application/vnd.pagerduty+json;version=2',
      authorization: `Token token=${config.token}`,
    },
  });
  const limit = config.pageSize;
  const list = <T>(path: string, items: string) =>
    http.items<T>(path, { strategy: 'offset', limit, hasMore: 'more', items });
  const one = async (path: string, key: string) => {
    const res = await http.request<Record<string, PdObject>>('GET', path, {
      accept: (s) => (s >= 200 && s < 300) || s === 404,
    });
    return res.status === 404 ? null : (res.body[key] ?? null);
  };
  return {
    listServices: () => list<PdObject>('/services', 'services'),
    getService: (id) => one(`/services/${encodeURIComponent(id)}`, 'service'),
    listEscalationPolicies: () => list<PdObject>('/escalation_policies', 'escalation_policies'),
    listOnCalls: () => list<OnCall>('/oncalls?earliest=true', 'oncalls'),
    listIncidents(since, until, statuses) {
      // Array parameters repeat their key (`statuses[]=a&statuses[]=b`), which a query object cannot.
      const q = new URLSearchParams({
        since: since.toISOString(),
        until: until.toISOString(),
        time_zone: 'UTC',
      });
      for (const s of statuses) q.append('statuses[]', s);
      return list<PdObject>(`/incidents?${q}`, 'incidents');
    },
    getIncident: (id) => one(`/incidents/${encodeURIComponent(id)}`, 'incident'),
  };
}
