import { describe, expect, it } from 'vitest';
import { parseSchedule } from './schedule.ts';

describe('schedules', () => {
  it('reads durations', () => {
    expect(parseSchedule('15m')).toBe(900_000);
    expect(parseSchedule('1h30m')).toBe(5_400_000);
    expect(parseSchedule('1d')).toBe(86_400_000);
  });
  it('explains what is wrong', () => {
    expect(parseSchedule('often')).toMatch(/duration such as 30s, 15m/);
    expect(parseSchedule('1s')).toMatch(/at least 10s/);
  });
});
