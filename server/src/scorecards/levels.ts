/**
 * The level an entity reaches: the highest level whose rules, and the rules of every level
 * below it, all pass. The first level is the base every entity has; a level without rules is
 * reached as soon as the levels below are.
 * @example levelOf(['Basic', 'Bronze', 'Silver'], ['Bronze', 'Silver'], [true, false]) // 1 (Bronze)
 */
export function levelOf(
  levels: readonly string[],
  ruleLevels: readonly string[],
  passed: readonly boolean[],
): number {
  const failing = new Set<number>();
  ruleLevels.forEach((level, i) => {
    if (passed[i] !== true) failing.add(levels.indexOf(level));
  });
  let reached = 0;
  for (let i = 1; i < levels.length; i++) {
    if (failing.has(i)) break;
    reached = i;
  }
  return reached;
}

/** Weighted share of passed rules, 0..1 (1 when there are no rules). */
export function scoreOf(weights: readonly number[], passed: readonly boolean[]): number {
  const total = weights.reduce((s, w) => s + w, 0);
  if (total === 0) return 1;
  const got = weights.reduce((s, w, i) => s + (passed[i] === true ? w : 0), 0);
  return Math.round((got / total) * 1000) / 1000;
}

/**
 * Index of a level name in a scorecard's levels, ignoring case (`silver` finds `Silver`); -1 when
 * there is none. Level names are unique regardless of case (compile-scorecard.ts checks).
 * @example levelIndexOf(['Basic', 'Bronze', 'Silver'], 'SILVER') // 2
 */
export function levelIndexOf(levels: readonly string[], name: string): number {
  const exact = levels.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  return levels.findIndex((l) => l.toLowerCase() === lower);
}
