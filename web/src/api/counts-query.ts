import { pluralFieldOf } from './names.ts';

/**
 * The one GraphQL request for every blueprint's entity count: aliases b0, b1, … in the order of
 * `blueprints`. Kept apart from the component so the server's query limits can be tested against it.
 */
export function countsQuery(blueprints: { identifier: string }[]): string {
  return `{ ${blueprints.map((bp, i) => `b${i}: ${pluralFieldOf(bp.identifier)}Connection { totalCount }`).join('\n')} }`;
}
