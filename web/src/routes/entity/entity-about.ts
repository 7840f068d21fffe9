/**
 * What the About card of an entity shows, worked out from its blueprint and values: who owns
 * it and who is on call first, then its links with their titles, then annotations and labels
 * as key/value pairs. Pure, so the rules are unit-tested; entity-page.tsx draws the result.
 */
import type { Blueprint, PropertySchema, StoredEntity } from '../../api/types.ts';
import { isOwnerRelation } from '../../graph/group-graph.ts';

/** A web link: only http(s), so a `javascript:` URL in catalog data never becomes clickable. */
export function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The About card's content. */
export interface About {
  /** Owner relations (name, title) whose targets are the owners. */
  owners: { relation: string; title: string; targets: string[] }[];
  /** On-call properties of the entity (schedule URL, rota name, ...). */
  onCall: { property: string; title: string; schema: PropertySchema; value: unknown }[];
  /** Links with their titles: url properties and entries of a `links` object or list. */
  links: { title: string; url: string }[];
  /** Object properties (annotations, labels, ...) as key/value pairs. */
  maps: { property: string; title: string; entries: [string, string][] }[];
  /** Properties the About card shows, left out of the plain property list. */
  shown: Set<string>;
}

const onCallPattern = /on.?call|pager|rota/i;

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Splits an entity into what its About card shows.
 * @example aboutOf(blueprint, entity).links // [{ title: 'Runbook', url: 'https://…' }]
 */
export function aboutOf(bp: Blueprint, e: StoredEntity): About {
  const shown = new Set<string>();
  const owners: About['owners'] = [];
  for (const [name, def] of Object.entries(bp.relations ?? {})) {
    if (!isOwnerRelation(name, def.title)) continue;
    const raw = e.relations[name];
    const targets = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    owners.push({ relation: name, title: def.title ?? name, targets });
  }
  const onCall: About['onCall'] = [];
  const links: About['links'] = [];
  const maps: About['maps'] = [];
  for (const [key, schema] of Object.entries(bp.schema.properties)) {
    const value = e.properties[key];
    const title = schema.title ?? key;
    if (value === undefined || value === null || value === '') continue;
    if (onCallPattern.test(key) || onCallPattern.test(schema.title ?? '')) {
      onCall.push({ property: key, title, schema, value });
      shown.add(key);
    } else if (schema.format === 'url' && safeUrl(value)) {
      links.push({ title, url: safeUrl(value)! });
      shown.add(key);
    } else if (/^links$/i.test(key) && typeof value === 'object') {
      // `links` as {"Runbook": url} or [{"title", "url"}] (Backstage's shape) or [url].
      const entries: [string, unknown][] = Array.isArray(value)
        ? value.map((l, i) =>
            typeof l === 'object' && l !== null
              ? [
                  String((l as { title?: unknown }).title ?? (l as { url?: unknown }).url ?? `Link ${i + 1}`),
                  (l as { url?: unknown }).url,
                ]
              : [String(l), l],
          )
        : Object.entries(value as Record<string, unknown>);
      for (const [t, u] of entries) if (safeUrl(u)) links.push({ title: t, url: safeUrl(u)! });
      shown.add(key);
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      maps.push({
        property: key,
        title,
        entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, text(v)]),
      });
      shown.add(key);
    }
  }
  return { owners, onCall, links, maps, shown };
}
