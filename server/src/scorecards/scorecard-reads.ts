/**
 * Reading what evaluation stored: a scorecard's results (paged, filtered by level and by what the
 * caller may read), its level-change history, its daily level distribution, and every scorecard
 * result of given entities (entity pages, GraphQL).
 */
import neo4j from 'neo4j-driver';
import type { ReadScope } from '../auth/authorize.ts';
import { scopeParams, visibleSlots } from '../auth/read-scope-cypher.ts';
import { type Db, readRows } from '../db/driver.ts';
import { checkLimit, cursorOf, latestTimestamp, parseCursor } from '../db/pages.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError } from '../errors.ts';
import { levelIndexOf } from './levels.ts';
import type { ScorecardStore } from './scorecard-store.ts';
import type { EntityScorecard, LevelChange, Scorecard, ScoreResult } from '@plexus/contract';

/** The read side of the scorecard service. */
export interface ScorecardReads {
  /** A page of results among entities `scope` may read; `below` and `level` are level names. */
  results(
    identifier: string,
    options: {
      scope: ReadScope;
      level?: string;
      below?: string;
      entity?: string;
      limit?: number;
      cursor?: string | null;
    },
  ): Promise<{ results: (ScoreResult & { title: string | null })[]; next: string | null }>;
  /** Level changes, newest first, of entities `scope` may read. */
  history(
    identifier: string,
    options: { scope: ReadScope; entity?: string; since?: string; limit?: number; cursor?: string | null },
  ): Promise<{ changes: LevelChange[]; next: string | null }>;
  /** Level distribution per day (the latest evaluation of each day), oldest first. */
  trend(
    identifier: string,
    options?: { days?: number },
  ): Promise<{ levels: string[]; days: { day: string; counts: Record<string, number>; total: number }[] }>;
  /** Every scorecard result of the given entities (the caller checked they may read them). */
  entityScores(refs: { blueprint: string; identifier: string }[]): Promise<Map<string, EntityScorecard[]>>;
}

/** Key of `entityScores` results. */
export function entityScoreKey(blueprint: string, identifier: string): string {
  return `${blueprint}\u0000${identifier}`;
}

/**
 * When a result was last confirmed. Unchanged results are not rewritten, so a result's own
 * timestamp is when it last changed; every full run confirms all of them.
 */
function confirmedAt(changedAt: string, sc: Scorecard): string {
  const full = sc.status?.fullEvaluatedAt;
  return full && full > changedAt ? full : changedAt;
}

/** Creates the reads; `store` gives the definitions the results are read against. */
export function createScorecardReads(deps: { db: Db; store: ScorecardStore }): ScorecardReads {
  const { db, store } = deps;
  return {
    async results(identifier, options) {
      const sc = await store.get(identifier);
      const indexOf = (name: string | undefined, what: string) => {
        if (name === undefined || name === '') return null;
        const i = levelIndexOf(sc.levels, name);
        if (i < 0) throw new BadRequestError(`${what} must be one of ${sc.levels.join(', ')} (any case)`);
        return i;
      };
      const levelIndex = indexOf(options.level, 'level');
      const below = indexOf(options.below, 'below');
      const limit = checkLimit(options.limit, 100);
      const after = options.cursor ? parseCursor(options.cursor) : null;
      const rows = await readRows<{
        result: {
          entity: string;
          blueprint: string;
          level: string;
          score: number;
          passed: string[];
          failed: string[];
          changedAt: string;
          title: string | null;
        };
      }>(db, loadQuery('scorecards/list-results', visibleSlots(options.scope, 'e')), {
        ...scopeParams(options.scope),
        scorecard: identifier,
        level: levelIndex === null ? null : sc.levels[levelIndex],
        below: below === null ? null : neo4j.int(below),
        entity: options.entity ?? null,
        after: after ?? '',
        limit: neo4j.int(limit + 1),
      });
      const page = rows.slice(0, limit).map(({ result: r }) => ({
        entity: r.entity,
        blueprint: r.blueprint,
        title: r.title ?? null,
        level: r.level,
        score: r.score,
        rules: sc.rules
          .filter((rule) => r.passed.includes(rule.identifier) || r.failed.includes(rule.identifier))
          .map((rule) => ({ identifier: rule.identifier, passed: r.passed.includes(rule.identifier) })),
        evaluatedAt: confirmedAt(r.changedAt, sc),
        changedAt: r.changedAt,
      }));
      return { results: page, next: rows.length > limit ? cursorOf(page[page.length - 1].entity) : null };
    },
    async history(identifier, options) {
      await store.get(identifier);
      const limit = checkLimit(options.limit, 100);
      if (options.since !== undefined && Number.isNaN(Date.parse(options.since)))
        throw new BadRequestError('since must be an ISO date-time');
      const [before, beforeEntity] = options.cursor
        ? parseCursor(options.cursor, 2)
        : [null, null];
      const rows = await readRows<{ change: Omit<LevelChange, 'scorecard'> }>(
        db,
        loadQuery('scorecards/list-level-changes', visibleSlots(options.scope, 'e')),
        {
          ...scopeParams(options.scope),
          scorecard: identifier,
          entity: options.entity ?? null,
          lower: options.since ? new Date(options.since).toISOString() : '',
          upper: before ?? latestTimestamp,
          beforeEntity,
          limit: neo4j.int(limit + 1),
        },
      );
      const changes = rows
        .slice(0, limit)
        .map((r) => ({ scorecard: identifier, ...r.change, from: r.change.from ?? null }));
      const last = changes[changes.length - 1];
      return { changes, next: rows.length > limit && last ? cursorOf([last.at, last.entity]) : null };
    },
    async trend(identifier, options = {}) {
      const sc = await store.get(identifier);
      const days = options.days ?? 30;
      if (!Number.isInteger(days) || days < 1 || days > 3660)
        throw new BadRequestError('days must be an integer from 1 to 3660');
      const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const rows = await readRows<{
        day: { day: string; levels: string[]; counts: number[]; total: number };
      }>(db, loadQuery('scorecards/list-daily'), { scorecard: identifier, since });
      return {
        levels: sc.levels,
        days: rows.map(({ day: d }) => ({
          day: d.day,
          counts: Object.fromEntries(d.levels.map((l, i) => [l, d.counts[i] ?? 0])),
          total: d.total,
        })),
      };
    },
    async entityScores(refs) {
      const out = new Map<string, EntityScorecard[]>();
      if (refs.length === 0) return out;
      const rows = await readRows<{
        blueprint: string;
        identifier: string;
        results: {
          scorecard: string;
          level: string;
          score: number;
          passed: string[];
          failed: string[];
          changedAt: string;
        }[];
      }>(db, loadQuery('scorecards/entity-results'), {
        refs: refs.map((r) => ({ blueprint: r.blueprint, identifier: r.identifier })),
      });
      const scorecards = rows.some((r) => r.results.length > 0)
        ? new Map((await store.list()).map((s) => [s.identifier, s]))
        : new Map<string, Scorecard>();
      for (const row of rows) {
        const items: EntityScorecard[] = [];
        for (const r of row.results) {
          const sc = scorecards.get(r.scorecard);
          if (!sc) continue;
          const index = sc.levels.indexOf(r.level);
          items.push({
            identifier: sc.identifier,
            title: sc.title,
            level: r.level,
            nextLevel: index >= 0 && index < sc.levels.length - 1 ? sc.levels[index + 1] : null,
            levels: sc.levels,
            score: r.score,
            evaluatedAt: confirmedAt(r.changedAt, sc),
            rules: sc.rules.map((rule) => ({
              identifier: rule.identifier,
              title: rule.title,
              level: rule.level,
              passed: r.passed.includes(rule.identifier),
            })),
          });
        }
        items.sort((a, b) => a.identifier.localeCompare(b.identifier));
        out.set(entityScoreKey(row.blueprint, row.identifier), items);
      }
      return out;
    },
  };
}
