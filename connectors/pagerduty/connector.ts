import type { Connector } from '@plexus/connector-sdk';
import { createPagerDutyClient, type OnCall } from './client.ts';
import { type PagerDutyConfig, pagerdutyConfig } from './config.ts';
import { pagerdutyFunctions } from './mapping-functions.ts';
import { escalationPolicyRecord, incidentRecord, serviceRecord } from './records.ts';
import { pagerdutyWebhook } from './webhooks.ts';

const day = 86_400_000;

/**
 * `pagerduty`: services, escalation policies with their current on-calls (→ the teams' on-call
 * links) and recent incidents (→ incidents affecting catalog services) through REST API v2;
 * v3 webhooks apply incident changes as deltas.
 */
export const pagerdutyConnector: Connector<PagerDutyConfig> = {
  type: 'pagerduty',
  title: 'PagerDuty',
  description:
    'Services, escalation policies, on-calls and incidents of a PagerDuty account (REST v2), kept current by v3 webhooks.',
  config: pagerdutyConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  mappingFunctions: pagerdutyFunctions,
  async *fetch(config, ctx) {
    const pd = createPagerDutyClient(config, ctx);
    const include = new Set(config.include);
    if (include.has('services')) for await (const s of pd.listServices()) yield serviceRecord(s);
    if (include.has('escalationPolicies')) {
      // On-calls first, grouped by policy, so each policy is one record with its on-calls.
      const byPolicy = new Map<string, OnCall[]>();
      if (include.has('onCalls'))
        for await (const o of pd.listOnCalls()) {
          const id = o.escalation_policy?.id;
          if (id) byPolicy.set(id, [...(byPolicy.get(id) ?? []), o]);
        }
      for await (const p of pd.listEscalationPolicies())
        yield escalationPolicyRecord(p, byPolicy.get(p.id) ?? [], config);
    }
    if (include.has('incidents')) {
      const until = new Date(ctx.clock.now());
      const since = new Date(until.getTime() - config.incidentDays * day);
      for await (const i of pd.listIncidents(since, until, config.incidentStatuses))
        yield incidentRecord(i, config);
    }
  },
  webhook: pagerdutyWebhook,
};
