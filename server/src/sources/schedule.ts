/** Units a schedule may use: `30s`, `15m`, `2h`, `1d`. */
const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Shortest schedule: syncing more often than this is a webhook's job. */
export const minimumIntervalMs = 10_000;

/**
 * Parses a schedule such as `15m` or `1h30m` into milliseconds; returns a message when it is not one.
 * @example parseSchedule('15m') // 900000
 */
export function parseSchedule(text: string): number | string {
  const s = text.trim();
  if (!/^(\d+[smhd])+$/.test(s))
    return `schedule must be a duration such as 30s, 15m, 2h or 1d; got "${text}"`;
  let ms = 0;
  for (const m of s.matchAll(/(\d+)([smhd])/g)) ms += Number(m[1]) * units[m[2]];
  if (ms < minimumIntervalMs) return `schedule must be at least ${minimumIntervalMs / 1000}s; got "${text}"`;
  return ms;
}
