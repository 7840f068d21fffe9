import { defineConfig, field, z } from '@plexus/connector-sdk';

/** What a PagerDuty source reads. */
export const pagerdutyParts = ['services', 'escalationPolicies', 'onCalls', 'incidents'] as const;

/** Incident statuses of REST v2. */
export const incidentStatuses = ['triggered', 'acknowledged', 'resolved'] as const;

/** Config of a `pagerduty` source: one PagerDuty account through REST API v2. */
export const pagerdutyConfig = defineConfig({
  /** REST API root: `https://api.pagerduty.com`, or `https://api.eu.pagerduty.com` for the EU service region. */
  baseUrl: field.url().default('https://api.pagerduty.com'),
  /** A REST API key (account or user key, read-only is enough); sent as `Authorization: Token token=...`. */
  token: field.secret(),
  /** The signing secret of the v3 webhook subscription; deliveries without a matching `X-PagerDuty-Signature` get 401. */
  webhookSecret: field.secret().optional(),
  /** The parts to read; all by default. On-calls are read with their escalation policies. */
  include: field.list(z.enum(pagerdutyParts)).default([...pagerdutyParts]),
  /** Incidents created in the last this many days are read (PagerDuty searches at most 6 months at a time). */
  incidentDays: field.number({ integer: true, min: 1, max: 180 }).default(90),
  /** Incidents in these statuses are read; the others leave the catalog. */
  incidentStatuses: field.list(z.enum(incidentStatuses)).default([...incidentStatuses]),
  /**
   * PagerDuty service (id or name) → catalog service identifier, for services whose names differ
   * from the catalog's. Unlisted services match by name, lower-cased with dashes (`Cart Service` → `cart-service`).
   */
  serviceMap: z.record(z.string(), field.string()).default({}),
  /** PagerDuty team (id or name) → catalog team identifier; unlisted teams match by name the same way. */
  teamMap: z.record(z.string(), field.string()).default({}),
  /** `limit` of listings (PagerDuty allows up to 100). */
  pageSize: field.number({ integer: true, min: 1, max: 100 }).default(100),
});

/** The parsed config. */
export type PagerDutyConfig = ReturnType<typeof pagerdutyConfig.parse>;
