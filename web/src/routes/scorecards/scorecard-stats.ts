import type {
  EntityScorecard,
  Scorecard,
  ScorecardRule,
  ScorecardStatus,
  ScorecardTrend,
  ScoreResultRow,
} from './scorecard-types.ts';

/** A colour of the design tokens (`badge <tone>`, `var(--<tone>)`). */
export type Tone = 'danger' | 'warning' | 'info' | 'accent' | 'success';

const tonesByCount: Record<number, Tone[]> = {
  1: ['accent'],
  2: ['warning', 'success'],
  3: ['danger', 'warning', 'success'],
  4: ['danger', 'warning', 'info', 'success'],
  5: ['danger', 'warning', 'info', 'accent', 'success'],
};
const ramp: Tone[] = ['danger', 'warning', 'info', 'accent', 'success'];

/**
 * The colour of a level, from red for the base level to green for the top one, so the same
 * level looks the same on every page.
 * @example levelTone(3, 4) // 'success' (Gold of Basic, Bronze, Silver, Gold)
 */
export function levelTone(index: number, count: number): Tone {
  if (index < 0) return 'accent';
  const fixed = tonesByCount[count];
  if (fixed) return fixed[Math.min(index, fixed.length - 1)];
  return ramp[Math.round((Math.min(index, count - 1) * (ramp.length - 1)) / Math.max(1, count - 1))];
}

/** One bar of a level distribution. */
export interface LevelBar {
  level: string;
  count: number;
  /** Share of all scored entities, 0..1. */
  share: number;
  tone: Tone;
}

/** Entities per level in level order, with each level's share; levels nobody is at count 0. */
export function levelDistribution(levels: readonly string[], counts: ScorecardStatus['levels']): LevelBar[] {
  const byLevel = new Map(counts.map((c) => [c.level, c.count]));
  const total = levels.reduce((sum, l) => sum + (byLevel.get(l) ?? 0), 0);
  return levels.map((level, i) => {
    const count = byLevel.get(level) ?? 0;
    return { level, count, share: total === 0 ? 0 : count / total, tone: levelTone(i, levels.length) };
  });
}

/** How one rule fares across the scorecard's entities. */
export interface RuleRate {
  identifier: string;
  title: string;
  level: string;
  tone: Tone;
  passed: number;
  failed: number;
  /** passed / (passed + failed); null before any entity was scored. */
  rate: number | null;
}

/** Pass rate of every rule, ordered by level (then as defined); rules without counts yet have a null rate. */
export function ruleRates(
  levels: readonly string[],
  rules: readonly ScorecardRule[],
  counts: ScorecardStatus['rules'],
): RuleRate[] {
  const byRule = new Map(counts.map((c) => [c.identifier, c]));
  return rules
    .map((rule, order) => ({ rule, order, index: levels.indexOf(rule.level) }))
    .sort((a, b) => a.index - b.index || a.order - b.order)
    .map(({ rule, index }) => {
      const c = byRule.get(rule.identifier);
      const passed = c?.passed ?? 0;
      const failed = c?.failed ?? 0;
      return {
        identifier: rule.identifier,
        title: rule.title || rule.identifier,
        level: rule.level,
        tone: levelTone(index, levels.length),
        passed,
        failed,
        rate: passed + failed === 0 ? null : passed / (passed + failed),
      };
    });
}

/** What the drill-down lists: the entities failing one rule, or those at or below one level. */
export type Drill = { kind: 'rule'; rule: string } | { kind: 'level'; level: string };

/**
 * The drill-down named by the page's URL (`?rule=` or `?level=`), if the scorecard has it. Level
 * names match ignoring case, as everywhere in Plexus (`?level=silver` selects `Silver`).
 */
export function drillOf(
  sc: Pick<Scorecard, 'levels' | 'rules'>,
  search: { rule?: string; level?: string },
): Drill | null {
  if (search.rule && sc.rules.some((r) => r.identifier === search.rule))
    return { kind: 'rule', rule: search.rule };
  const wanted = search.level?.toLowerCase();
  const level = wanted ? sc.levels.find((l) => l.toLowerCase() === wanted) : undefined;
  if (level) return { kind: 'level', level };
  return null;
}

/**
 * Query string of `GET .../results` for one page of a drill-down. The API filters by level
 * only (`below` is strict), so "at or below L" asks for below the next level, and "failing
 * rule R" asks for below R's level — an entity failing R cannot have reached it — and
 * {@link matchesDrill} keeps those that fail R.
 * @example resultsQuery(sc, { kind: 'level', level: 'Bronze' }, null, 50) // 'limit=50&below=Silver'
 */
export function resultsQuery(
  sc: Pick<Scorecard, 'levels' | 'rules'>,
  drill: Drill,
  cursor: string | null,
  limit: number,
): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (drill.kind === 'level') {
    const above = sc.levels[sc.levels.indexOf(drill.level) + 1];
    if (above) q.set('below', above);
  } else {
    const rule = sc.rules.find((r) => r.identifier === drill.rule);
    if (rule) q.set('below', rule.level);
  }
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

/** Whether a result belongs in the drill-down (the part of the filter the API cannot do). */
export function matchesDrill(result: Pick<ScoreResultRow, 'rules'>, drill: Drill): boolean {
  if (drill.kind === 'level') return true;
  return result.rules.some((r) => r.identifier === drill.rule && !r.passed);
}

/** One stacked column of the trend chart (one day). */
export interface TrendColumn {
  day: string;
  total: number;
  x: number;
  width: number;
  /** Base level at the bottom, top level on top. */
  segments: { level: string; count: number; y: number; height: number; tone: Tone }[];
}

/**
 * Geometry of the trend chart: a column per day, its height the number of entities scored,
 * stacked by level. Coordinates are SVG user units in a `width` × `height` box.
 */
export function trendColumns(
  trend: ScorecardTrend,
  box: { width: number; height: number; gap?: number },
): { columns: TrendColumn[]; max: number } {
  const days = trend.days;
  const max = Math.max(0, ...days.map((d) => d.total));
  if (days.length === 0 || max === 0) return { columns: [], max };
  const slot = box.width / days.length;
  const gap = Math.min(box.gap ?? 4, slot / 3);
  const width = Math.min(slot - gap, 48);
  const scale = box.height / max;
  const columns = days.map((d, i) => {
    let y = box.height;
    const segments = trend.levels.map((level, li) => {
      const count = d.counts[level] ?? 0;
      const height = count * scale;
      y -= height;
      return { level, count, y, height, tone: levelTone(li, trend.levels.length) };
    });
    return {
      day: d.day,
      total: d.total,
      x: i * slot + (slot - width) / 2,
      width,
      segments: segments.filter((s) => s.count > 0),
    };
  });
  return { columns, max };
}

/** The rules of one level as an entity fares on them. */
export interface LevelGroup {
  level: string;
  tone: Tone;
  /** The entity is at this level or above. */
  reached: boolean;
  rules: EntityScorecard['rules'];
}

/** An entity's rules grouped by level, in level order; levels without rules are left out. */
export function rulesByLevel(sc: Pick<EntityScorecard, 'levels' | 'level' | 'rules'>): LevelGroup[] {
  const current = sc.levels.indexOf(sc.level);
  return sc.levels
    .map((level, i) => ({
      level,
      tone: levelTone(i, sc.levels.length),
      reached: i <= current,
      rules: sc.rules.filter((r) => r.level === level),
    }))
    .filter((g) => g.rules.length > 0);
}

/**
 * What an entity must fix to move up: the failing rules of the first level above its own that
 * has any (levels without failing rules come for free), or null at the top.
 * @example nextGoal(sc) // { level: 'Silver', failing: [{ identifier: 'has-on-call', ... }] }
 */
export function nextGoal(
  sc: Pick<EntityScorecard, 'levels' | 'level' | 'rules'>,
): { level: string; tone: Tone; failing: EntityScorecard['rules'] } | null {
  const current = sc.levels.indexOf(sc.level);
  for (let i = Math.max(current + 1, 1); i < sc.levels.length; i++) {
    const failing = sc.rules.filter((r) => r.level === sc.levels[i] && !r.passed);
    if (failing.length > 0) return { level: sc.levels[i], tone: levelTone(i, sc.levels.length), failing };
  }
  return null;
}

/**
 * A share as a whole percentage ("67%"), or "—" when there is nothing to divide. Never "100%"
 * while something fails (1 failing of 3,000 is "99.9%") nor "0%" while something passes ("<1%").
 */
export function percent(share: number | null): string {
  if (share === null) return '—';
  const whole = Math.round(share * 100);
  if (whole === 100 && share < 1) return `${(Math.floor(share * 1000) / 10).toFixed(1)}%`;
  if (whole === 0 && share > 0) return '<1%';
  return `${whole}%`;
}

/** Whether a level change went up, down, or was the entity's first result. */
export function changeDirection(
  levels: readonly string[],
  from: string | null,
  to: string,
): 'up' | 'down' | 'first' {
  if (from === null) return 'first';
  return levels.indexOf(to) >= levels.indexOf(from) ? 'up' : 'down';
}
