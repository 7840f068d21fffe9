/** `GET /api/v1/me/summary` (server/src/home/me-summary.ts): the caller's home page in one answer. */
export type { MeSummary } from '../../../../server/src/home/me-summary.ts';
