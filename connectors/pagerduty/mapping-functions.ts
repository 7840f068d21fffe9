/**
 * JSONata functions for PagerDuty mappings: matching PagerDuty services and teams to catalog
 * identifiers, and PagerDuty's priorities, urgencies and escalation rules to sdlc values.
 */
import type { MappingFunctions } from '@plexus/connector-sdk';

/** A name as a catalog identifier: lower case, runs of other characters as one dash (`Cart Service` → `cart-service`). */
export function slug(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s === '' ? undefined : s;
}

/** A reference (`{id, summary}`) or object (`{id, name}`) looked up in a map by id, then name; else its slugged name. */
function matchRef(ref: unknown, map: unknown): string | undefined {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as { id?: unknown; summary?: unknown; name?: unknown };
  const m = (map && typeof map === 'object' ? map : {}) as Record<string, unknown>;
  const name = typeof r.name === 'string' ? r.name : r.summary;
  for (const key of [r.id, name])
    if (typeof key === 'string' && typeof m[key] === 'string') return m[key] as string;
  return slug(name);
}

/** The catalog service a PagerDuty service reference stands for (`serviceMap`, else its name). */
export function catalogService(ref: unknown, serviceMap: unknown): string | undefined {
  return matchRef(ref, serviceMap);
}

/** The catalog team a PagerDuty team reference stands for (`teamMap`, else its name). */
export function catalogTeam(ref: unknown, teamMap: unknown): string | undefined {
  return matchRef(ref, teamMap);
}

/**
 * The sdlc severity of an incident: its priority (`P1` → sev1 ... `P4`/`P5` → sev4) when the
 * account uses priorities, else its urgency (high → sev2, low → sev4).
 */
export function incidentSeverity(priority: unknown, urgency: unknown): string | undefined {
  const name =
    priority && typeof priority === 'object' ? (priority as { summary?: unknown; name?: unknown }) : {};
  const m = /^P([1-5])$/i.exec(String(name.summary ?? name.name ?? ''));
  if (m) return `sev${Math.min(4, Number(m[1]))}`;
  if (urgency === 'high') return 'sev2';
  if (urgency === 'low') return 'sev4';
  return undefined;
}

/** Whole minutes from `from` to `to`, or undefined when either is missing. */
export function minutesBetween(from: unknown, to: unknown): number | undefined {
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const m = (Date.parse(to) - Date.parse(from)) / 60_000;
  return Number.isFinite(m) && m >= 0 ? Math.floor(m) : undefined;
}

interface Ref {
  type?: string;
  html_url?: string;
}

/**
 * Where a team's on-call is published: the schedule of the policy's first-level on-call, else
 * the first schedule its first escalation rule pages, else the escalation policy itself.
 */
export function onCallUrl(policy: unknown, oncalls: unknown): string | undefined {
  if (!policy || typeof policy !== 'object') return undefined;
  const p = policy as { html_url?: string; escalation_rules?: { targets?: Ref[] }[] };
  const first = (Array.isArray(oncalls) ? oncalls : [])
    .filter((o) => o && o.escalation_level === 1 && o.schedule?.html_url)
    .map((o) => o.schedule.html_url as string)
    .sort()[0];
  if (first) return first;
  const schedule = (p.escalation_rules?.[0]?.targets ?? []).find(
    (t) => t.type === 'schedule_reference' && t.html_url,
  );
  return schedule?.html_url ?? p.html_url;
}

/** The functions, as the SDK registers them. */
export const pagerdutyFunctions: MappingFunctions = {
  slug: { fn: slug },
  catalogService: { fn: catalogService },
  catalogTeam: { fn: catalogTeam },
  incidentSeverity: { fn: incidentSeverity },
  minutesBetween: { fn: minutesBetween },
  onCallUrl: { fn: onCallUrl },
};
