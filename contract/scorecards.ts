import type { Rule } from './search-rules.ts';

/** Levels a scorecard uses when its definition names none; the first is the base everyone has. */
export const defaultLevels: readonly string[] = ['Basic', 'Bronze', 'Silver', 'Gold'];

/**
 * One standard an entity is checked against. Either `cypher` (a boolean expression over the
 * entity `e`) or the simple form of the search rules language (`property`/`operator`/`value`,
 * or a `relation` rule), which compiles to Cypher.
 */
export interface ScorecardRule {
  identifier: string;
  title: string;
  description?: string | null;
  /** The level this rule belongs to; never the first (base) level. */
  level: string;
  /** Share of the entity's score (default 1); levels do not depend on it. */
  weight?: number;
  cypher?: string;
  /** Accept labels, relationship types and properties the model does not have (yet). */
  allowUnknown?: boolean;
  property?: string;
  operator?: string;
  value?: unknown;
  relation?: string;
  direction?: 'outgoing' | 'incoming';
  blueprint?: string;
  depth?: number;
  combinator?: 'and' | 'or';
  rules?: Rule[];
}

/** Which entities of the blueprint a scorecard looks at, in the rules language of search. */
export interface ScorecardFilter {
  combinator?: 'and' | 'or';
  rules: Rule[];
}

/** A problem met while evaluating: a rule that failed or timed out, or the whole query. */
export interface EvaluationError {
  /** The rule's identifier; absent when the query as a whole failed (e.g. the filter). */
  rule?: string;
  message: string;
  at: string;
}

/** Where a scorecard stands, as of its latest evaluation. */
export interface ScorecardStatus {
  evaluatedAt: string | null;
  /** The latest full run (the schedule skips scorecards with a recent one). */
  fullEvaluatedAt: string | null;
  durationMs: number | null;
  /** Entities scored now. */
  entities: number;
  /** Entities per level, in level order. */
  levels: { level: string; count: number }[];
  /** Pass counts per rule, in rule order. */
  rules: { identifier: string; passed: number; failed: number }[];
  errors: EvaluationError[];
}

/** A scorecard as stored and returned by the API. */
export interface Scorecard {
  identifier: string;
  title: string;
  description?: string | null;
  blueprint: string;
  filter?: ScorecardFilter | null;
  levels: string[];
  rules: ScorecardRule[];
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
  updatedBy?: string;
  /** The `plexus apply` set that saved it last (absent when saved otherwise). */
  applySet?: string;
  status?: ScorecardStatus;
}

/** One entity's outcome on one scorecard, as `GET .../results` returns it. */
export interface ScoreResult {
  entity: string;
  blueprint: string;
  level: string;
  /** Weighted share of rules passed, 0..1. */
  score: number;
  rules: { identifier: string; passed: boolean }[];
  /** When this outcome was last confirmed: its last change, or the scorecard's last full run if later. */
  evaluatedAt: string;
  /** When this outcome (level, rules passed) last changed. */
  changedAt: string;
}

/** Summary of one evaluation run (`POST .../evaluate`). */
export interface EvaluationSummary {
  scorecard: string;
  mode: 'full' | 'partial';
  evaluatedAt: string;
  durationMs: number;
  /** Entities evaluated by this run. */
  evaluated: number;
  /** Entities whose level changed in this run (first results included). */
  changed: number;
  /** Results written back: new or changed ones (unchanged results are not rewritten). */
  written: number;
  levels: { level: string; count: number }[];
  rules: { identifier: string; passed: number; failed: number; error?: string }[];
  errors: EvaluationError[];
}

/** A change of one entity's level, kept as history and emitted as `scorecard.levelChanged`. */
export interface LevelChange {
  scorecard: string;
  blueprint: string;
  entity: string;
  /** Null for the first result of the entity on the scorecard. */
  from: string | null;
  to: string;
  at: string;
}

/** One entity's standing on one scorecard, with what it passes and fails (entity pages, GraphQL). */
export interface EntityScorecard {
  identifier: string;
  title: string;
  level: string;
  /** The level above, or null at the top: what the entity works towards. */
  nextLevel: string | null;
  levels: string[];
  score: number;
  evaluatedAt: string;
  rules: { identifier: string; title: string; level: string; passed: boolean }[];
}

/** `GET /api/v1/scorecards/{scorecard}/trend`: entities per level per day, oldest first. */
export interface ScorecardTrend {
  levels: string[];
  days: { day: string; counts: Record<string, number>; total: number }[];
}

/** What an evaluation run did, for listeners (tests, metrics): the summary and who was scored. */
export interface EvaluationRun extends EvaluationSummary {
  /** Identifiers of the entities this run evaluated. */
  entities: string[];
}
