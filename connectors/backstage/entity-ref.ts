/**
 * Backstage entity references: `[kind:][namespace/]name`, with the kind and namespace defaulted
 * from the context (the field's usual kind, the referencing entity's namespace). Backstage
 * compares references case-insensitively, so Plexus identifiers are lower case. An entity of the
 * `default` namespace is identified by its bare name (`payments`), like everything else in
 * Plexus, so an import links to entities already there; others keep it: `ops/payments`.
 */
import type { MappingFunctions } from '@plexus/connector-sdk';

/** A parsed reference. */
export interface EntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Parses a reference (string, or `{kind, namespace, name}`); undefined for anything else.
 * @example parseEntityRef('group:payments', 'user', 'default') // { kind: 'group', namespace: 'default', name: 'payments' }
 */
export function parseEntityRef(
  ref: unknown,
  defaultKind?: string,
  defaultNamespace?: string,
): EntityRef | undefined {
  const ns = (defaultNamespace || 'default').toLowerCase();
  if (ref && typeof ref === 'object' && !Array.isArray(ref)) {
    const r = ref as Record<string, unknown>;
    if (typeof r.name !== 'string') return undefined;
    return {
      kind: String(r.kind ?? defaultKind ?? '').toLowerCase(),
      namespace: String(r.namespace ?? ns).toLowerCase(),
      name: r.name.toLowerCase(),
    };
  }
  if (typeof ref !== 'string' || ref.trim() === '') return undefined;
  let rest = ref.trim();
  let kind = defaultKind ?? '';
  const colon = rest.indexOf(':');
  const slash = rest.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) {
    kind = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const s = rest.indexOf('/');
  const namespace = s > 0 ? rest.slice(0, s) : ns;
  const name = s > 0 ? rest.slice(s + 1) : rest;
  return { kind: kind.toLowerCase(), namespace: namespace.toLowerCase(), name: name.toLowerCase() };
}

/**
 * The Plexus identifier of a reference: the bare name in the `default` namespace, else `namespace/name`.
 * @example identifierOf({ kind: 'group', namespace: 'default', name: 'payments' }) // 'payments'
 */
export function identifierOf(ref: EntityRef): string {
  return ref.namespace === 'default' ? ref.name : `${ref.namespace}/${ref.name}`;
}

const mapRef = <T>(ref: unknown, f: (r: unknown) => T | undefined): T | T[] | undefined => {
  if (Array.isArray(ref)) return ref.map(f).filter((x): x is T => x !== undefined);
  return f(ref);
};

/** JSONata functions for the Backstage mapping. */
export const backstageFunctions: MappingFunctions = {
  /** `$entityId(ref, defaultKind, namespace)` → `name` or `namespace/name` (identifierOf; lists map element-wise). */
  entityId: {
    fn: (ref: unknown, defaultKind?: string, namespace?: string) =>
      mapRef(ref, (r) => {
        const p = parseEntityRef(r, defaultKind, namespace);
        return p ? identifierOf(p) : undefined;
      }),
  },
  /** `$entityRef(ref, defaultKind, namespace)` → `kind:` + the identifier, for relations with several target blueprints. */
  entityRef: {
    fn: (ref: unknown, defaultKind?: string, namespace?: string) =>
      mapRef(ref, (r) => {
        const p = parseEntityRef(r, defaultKind, namespace);
        return p ? `${p.kind}:${identifierOf(p)}` : undefined;
      }),
  },
  /** `$entityKind(ref, defaultKind)` → the kind (= the backstage pack's blueprint). */
  entityKind: {
    fn: (ref: unknown, defaultKind?: string) => parseEntityRef(ref, defaultKind)?.kind,
  },
  /** `$linkMap(metadata.links)` → `{title: url}` (the pack keeps links as an object). */
  linkMap: {
    fn: (links: unknown) => {
      if (!Array.isArray(links)) return undefined;
      const out: Record<string, string> = {};
      for (const l of links) {
        if (l && typeof l === 'object' && typeof (l as { url?: unknown }).url === 'string') {
          const { url, title } = l as { url: string; title?: string };
          out[title || url] = url;
        }
      }
      return Object.keys(out).length > 0 ? out : undefined;
    },
  },
};
