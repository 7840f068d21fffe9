import { describe, expect, it } from 'vitest';
import {
  changeDirection,
  drillOf,
  levelDistribution,
  levelTone,
  matchesDrill,
  nextGoal,
  percent,
  resultsQuery,
  ruleRates,
  rulesByLevel,
  trendColumns,
} from './scorecard-stats.ts';

const levels = ['Basic', 'Bronze', 'Silver', 'Gold'];
const rules = [
  { identifier: 'runbook', title: 'Has a runbook', level: 'Gold' },
  { identifier: 'owner', title: 'Has an owner', level: 'Bronze' },
  { identifier: 'on-call', title: 'Has on-call', level: 'Silver' },
  { identifier: 'tier', title: 'Tier is set', level: 'Bronze' },
];
const sc = { levels, rules };

describe('levelTone', () => {
  it('runs from red at the base level to green at the top', () => {
    expect(levels.map((_, i) => levelTone(i, levels.length))).toEqual([
      'danger',
      'warning',
      'info',
      'success',
    ]);
    expect(levelTone(1, 2)).toBe('success');
  });

  it('spreads long level lists over the whole ramp', () => {
    const tones = Array.from({ length: 9 }, (_, i) => levelTone(i, 9));
    expect(tones[0]).toBe('danger');
    expect(tones[8]).toBe('success');
  });
});

describe('levelDistribution', () => {
  it('gives every level a bar in level order, with zero for levels nobody reached', () => {
    const bars = levelDistribution(levels, [
      { level: 'Gold', count: 1 },
      { level: 'Basic', count: 3 },
    ]);
    expect(bars.map((b) => [b.level, b.count, b.share])).toEqual([
      ['Basic', 3, 0.75],
      ['Bronze', 0, 0],
      ['Silver', 0, 0],
      ['Gold', 1, 0.25],
    ]);
  });

  it('has zero shares when nothing was scored', () => {
    expect(levelDistribution(levels, []).every((b) => b.share === 0)).toBe(true);
  });
});

describe('ruleRates', () => {
  it('orders rules by level and computes each pass rate', () => {
    const rates = ruleRates(levels, rules, [
      { identifier: 'owner', passed: 3, failed: 1 },
      { identifier: 'tier', passed: 0, failed: 4 },
      { identifier: 'on-call', passed: 2, failed: 2 },
    ]);
    expect(rates.map((r) => [r.identifier, r.rate])).toEqual([
      ['owner', 0.75],
      ['tier', 0],
      ['on-call', 0.5],
      ['runbook', null],
    ]);
  });
});

describe('drill-down', () => {
  it('reads the drill-down from the URL only when the scorecard has that rule or level', () => {
    expect(drillOf(sc, { rule: 'owner' })).toEqual({ kind: 'rule', rule: 'owner' });
    expect(drillOf(sc, { level: 'Silver' })).toEqual({ kind: 'level', level: 'Silver' });
    expect(drillOf(sc, { level: 'sILVER' })).toEqual({ kind: 'level', level: 'Silver' });
    expect(drillOf(sc, { level: 'platinum' })).toBeNull();
    expect(drillOf(sc, { rule: 'gone' })).toBeNull();
    expect(drillOf(sc, {})).toBeNull();
  });

  it('asks for entities below the next level to get those at or below a level', () => {
    expect(resultsQuery(sc, { kind: 'level', level: 'Bronze' }, null, 50)).toBe('limit=50&below=Silver');
  });

  it('asks for every entity when "at or below" names the top level', () => {
    expect(resultsQuery(sc, { kind: 'level', level: 'Gold' }, 'abc', 20)).toBe('limit=20&cursor=abc');
  });

  it('asks for entities below a rule’s level, since only those can fail it, and keeps those that do', () => {
    expect(resultsQuery(sc, { kind: 'rule', rule: 'on-call' }, null, 100)).toBe('limit=100&below=Silver');
    const drill = { kind: 'rule', rule: 'on-call' } as const;
    expect(matchesDrill({ rules: [{ identifier: 'on-call', passed: false }] }, drill)).toBe(true);
    expect(matchesDrill({ rules: [{ identifier: 'on-call', passed: true }] }, drill)).toBe(false);
    expect(matchesDrill({ rules: [{ identifier: 'owner', passed: false }] }, drill)).toBe(false);
  });
});

describe('trendColumns', () => {
  const trend = {
    levels: ['Basic', 'Bronze', 'Gold'],
    days: [
      { day: '2025-01-01', counts: { Basic: 2, Bronze: 2, Gold: 0 }, total: 4 },
      { day: '2025-01-02', counts: { Basic: 1, Bronze: 0, Gold: 1 }, total: 2 },
    ],
  };

  it('draws a column per day, as tall as its total relative to the busiest day', () => {
    const { columns, max } = trendColumns(trend, { width: 200, height: 100, gap: 10 });
    expect(max).toBe(4);
    expect(columns.map((c) => [c.day, c.x, c.width])).toEqual([
      ['2025-01-01', 26, 48],
      ['2025-01-02', 126, 48],
    ]);
    expect(columns[1].segments.map((s) => [s.level, s.y, s.height])).toEqual([
      ['Basic', 75, 25],
      ['Gold', 50, 25],
    ]);
  });

  it('stacks the base level at the bottom', () => {
    const [first] = trendColumns(trend, { width: 100, height: 100 }).columns;
    expect(first.segments.map((s) => [s.level, s.y + s.height])).toEqual([
      ['Basic', 100],
      ['Bronze', 50],
    ]);
  });

  it('draws nothing without data', () => {
    expect(trendColumns({ levels, days: [] }, { width: 100, height: 50 }).columns).toEqual([]);
  });
});

describe('an entity’s standing', () => {
  const standing = (level: string, failing: string[]) => ({
    levels,
    level,
    rules: rules.map((r) => ({ ...r, passed: !failing.includes(r.identifier) })),
  });

  it('names the failing rules of the next level', () => {
    const goal = nextGoal(standing('Bronze', ['on-call', 'runbook']));
    expect(goal?.level).toBe('Silver');
    expect(goal?.failing.map((r) => r.identifier)).toEqual(['on-call']);
  });

  it('starts from the first level above the base for an entity at the base', () => {
    const goal = nextGoal(standing('Basic', ['owner', 'tier', 'runbook']));
    expect(goal?.level).toBe('Bronze');
    expect(goal?.failing.map((r) => r.identifier)).toEqual(['owner', 'tier']);
  });

  it('skips levels with nothing left to fix', () => {
    expect(nextGoal(standing('Bronze', ['runbook']))?.level).toBe('Gold');
  });

  it('has no goal at the top level', () => {
    expect(nextGoal(standing('Gold', []))).toBeNull();
  });

  it('groups rules by level, marking the levels reached', () => {
    const groups = rulesByLevel(standing('Bronze', ['on-call']));
    expect(groups.map((g) => [g.level, g.reached, g.rules.map((r) => r.identifier)])).toEqual([
      ['Bronze', true, ['owner', 'tier']],
      ['Silver', false, ['on-call']],
      ['Gold', false, ['runbook']],
    ]);
  });
});

describe('small formatting', () => {
  it('never shows 100% beside a failing entity, nor 0% beside a passing one', () => {
    expect(percent(2999 / 3000)).toBe('99.9%');
    expect(percent(1)).toBe('100%');
    expect(percent(1 / 3000)).toBe('<1%');
    expect(percent(0)).toBe('0%');
  });

  it('rounds shares to whole percentages', () => {
    expect(percent(2 / 3)).toBe('67%');
    expect(percent(null)).toBe('—');
  });

  it('tells whether a level change went up or down', () => {
    expect(changeDirection(levels, 'Bronze', 'Gold')).toBe('up');
    expect(changeDirection(levels, 'Gold', 'Basic')).toBe('down');
    expect(changeDirection(levels, null, 'Basic')).toBe('first');
  });
});
