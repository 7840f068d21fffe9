/** `GET /api/v1/me/summary` (server/src/home/me-summary.ts): the caller's home page in one answer. */
export type { MeSummary } from '../../../../server/src/home/me-summary.ts';

/** Thousands separators and the right plural: `plural(1, 'service')` → "1 service". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
