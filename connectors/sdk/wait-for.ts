import { vi } from 'vitest';

/** How long `waitFor` polls, how often, and what to add to its error (e.g. a server's output). */
export interface WaitForOptions {
  intervalMs?: number;
  diagnostics?: () => string;
}

/**
 * Polls `check` with vitest's `vi.waitFor` until it returns a truthy value (a check that throws is
 * asked again), and resolves with it; after `timeoutMs` it fails naming `what`, with the last
 * error and the diagnostics. The one polling helper of the tests. Falsy means "not yet", so
 * return an object or `true`, not a count that may be 0.
 *
 * @example
 * const run = await waitFor('the run to end', async () => {
 *   const r = await get(`/api/v1/runs/${id}`);
 *   return r.endedAt ? r : undefined;
 * });
 */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false | '' | 0> | T | undefined | null | false | '' | 0,
  timeoutMs = 30_000,
  options: WaitForOptions = {},
): Promise<T> {
  return vi
    .waitFor(
      async () => {
        const v = await check();
        if (!v) throw new Error('not yet');
        return v as T;
      },
      { timeout: timeoutMs, interval: options.intervalMs ?? 50 },
    )
    .catch((err: unknown) => {
      const more = options.diagnostics?.();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: ${String(err)}${more ? `\n${more}` : ''}`,
      );
    });
}
