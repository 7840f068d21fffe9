/**
 * The records a PagerDuty source yields, built the same way by a full sync and by a webhook.
 * The config's matching tables travel with the records that need them, because a mapping sees
 * only its record.
 */
import type { RawRecord } from '@plexus/connector-sdk';
import type { OnCall, PdObject } from './client.ts';
import type { PagerDutyConfig } from './config.ts';

/** Record kinds, as the mapping selects on them. */
export const kinds = {
  /** `{service}`: a PagerDuty service. */
  service: 'service',
  /** `{escalation_policy, oncalls, teamMap}`: a policy and who is on call for it now. */
  escalationPolicy: 'escalationPolicy',
  /** `{incident, serviceMap, teamMap}`: an incident. */
  incident: 'incident',
} as const;

/** A service record. */
export function serviceRecord(service: PdObject): RawRecord {
  return { kind: kinds.service, data: { service }, origin: `service ${service.id}` };
}

/** An escalation policy record with its on-calls (sorted by level, so the record is stable). */
export function escalationPolicyRecord(
  policy: PdObject,
  oncalls: OnCall[],
  config: PagerDutyConfig,
): RawRecord {
  const sorted = [...oncalls].sort(
    (a, b) => a.escalation_level - b.escalation_level || JSON.stringify(a).localeCompare(JSON.stringify(b)),
  );
  return {
    kind: kinds.escalationPolicy,
    data: { escalation_policy: policy, oncalls: sorted, teamMap: config.teamMap },
    origin: `escalation policy ${policy.id}`,
  };
}

/** An incident record. */
export function incidentRecord(incident: PdObject, config: PagerDutyConfig): RawRecord {
  return {
    kind: kinds.incident,
    data: { incident, serviceMap: config.serviceMap, teamMap: config.teamMap },
    origin: `incident ${incident.id}`,
  };
}
