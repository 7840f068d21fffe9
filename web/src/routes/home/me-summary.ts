/** `GET /api/v1/me/summary` (shape in contract/home.ts): the caller's home page in one answer. */
export type { MeSummary } from '@plexus/contract';
