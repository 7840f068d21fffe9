/**
 * The canonical JSON text of a value: object keys sorted at every depth, `undefined` members left
 * out (as `JSON.stringify` does), arrays in their order. Two values with the same content give
 * the same text, whatever order their keys were built in: what content hashes (the catalog's
 * entity hash, the connectors' contribution hash), dry-run diffs and `plexus apply` compare.
 *
 * @example canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) === '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}
