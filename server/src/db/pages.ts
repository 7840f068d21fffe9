/**
 * Keyset paging for listings (audit trail, scorecard results and history): limits, opaque
 * cursors holding the last row's sort key, and the bound of a newest-first walk.
 */
import { BadRequestError } from '../errors.ts';

/**
 * Above every timestamp Plexus writes: the upper bound of a newest-first walk along a time index
 * when there is no cursor (ISO 8601 UTC strings compare in time order).
 */
export const latestTimestamp = '9999-12-31T23:59:59.999Z';

/** A page size from a query parameter: `fallback` when absent, else an integer from 1 to 1000. */
export function checkLimit(limit: number | undefined, fallback: number): number {
  const n = limit ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new BadRequestError('limit must be an integer from 1 to 1000');
  return n;
}

/** The cursor of a page's last sort key. */
export function cursorOf(key: string | string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key in a cursor made by `cursorOf`: a string, or `parts` strings.
 * @example const [at, id] = parseCursor(cursor, 2)
 */
export function parseCursor(cursor: string): string;
export function parseCursor(cursor: string, parts: number): string[];
export function parseCursor(cursor: string, parts?: number): string | string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const ok =
    parts === undefined
      ? typeof key === 'string'
      : Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string');
  if (!ok) throw new BadRequestError('cursor is not valid; pass "next" from the previous page');
  return key as string | string[];
}
