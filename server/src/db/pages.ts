/**
 * Keyset paging for listings (entities, search, impact, audit trail, scorecard results and
 * history): limits, opaque cursors holding the last row's sort key, and the bound of a
 * newest-first walk.
 */
import { BadRequestError } from '../errors.ts';

/**
 * Above every timestamp Plexus writes: the upper bound of a newest-first walk along a time index
 * when there is no cursor (ISO 8601 UTC strings compare in time order).
 */
export const latestTimestamp = '9999-12-31T23:59:59.999Z';

/** A page size from a query parameter: `fallback` when absent, else an integer from 1 to `max`. */
export function checkLimit(limit: number | undefined, fallback: number, max = 1000): number {
  const n = limit ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadRequestError(`limit must be an integer from 1 to ${max}`);
  return n;
}

/** The cursor of a page's last sort key. */
export function cursorOf(key: string | string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The sort key in a cursor made by `cursorOf` (a string, or `parts` strings), or null when the
 * cursor is not one; `parseCursor` throws instead.
 */
export function decodeCursor(cursor: string): string | null;
export function decodeCursor(cursor: string, parts: number): string[] | null;
export function decodeCursor(cursor: string, parts?: number): string | string[] | null {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const ok =
    parts === undefined
      ? typeof key === 'string'
      : Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string');
  return ok ? (key as string | string[]) : null;
}

/**
 * The sort key in a cursor made by `cursorOf`; a 400 when the cursor is not one.
 * @example const [at, id] = parseCursor(cursor, 2)
 */
export function parseCursor(cursor: string): string;
export function parseCursor(cursor: string, parts: number): string[];
export function parseCursor(cursor: string, parts?: number): string | string[] {
  const key = parts === undefined ? decodeCursor(cursor) : decodeCursor(cursor, parts);
  if (key === null) throw new BadRequestError('cursor is not valid; pass "next" from the previous page');
  return key;
}
