/**
 * A GraphQL query that only the schema built from a given blueprint can answer: its list field
 * with every scalar property. While the server still serves the schema from before a blueprint
 * change, the query fails as "schema lag" (ApiError.isSchemaLag), which is how the model editor
 * knows when "GraphQL schema updating…" may become "GraphQL updated".
 */
import { pluralFieldOf } from '../../api/names.ts';
import type { Blueprint } from '../../api/types.ts';

const scalar = new Set(['string', 'number', 'integer', 'boolean']);

/**
 * The probe query for `bp`.
 * @example schemaProbe({ identifier: 'service', schema: { properties: { tier: { type: 'integer' } } } }) // '{ probe: services(limit: 1) { identifier tier } }'
 */
export function schemaProbe(bp: Pick<Blueprint, 'identifier' | 'schema'>): string {
  const fields = Object.entries(bp.schema.properties)
    .filter(([name, s]) => scalar.has(String(s.type)) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .map(([name]) => name);
  return `{ probe: ${pluralFieldOf(bp.identifier)}(limit: 1) { ${['identifier', ...fields].join(' ')} } }`;
}
