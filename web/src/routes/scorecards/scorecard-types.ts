/**
 * Shapes of the scorecard and audit APIs, from @plexus/contract (the definitions the server
 * uses too) so the UI and the server cannot drift apart (as `api/types.ts` does for the model).
 */
import type {
  AuditEvent,
  EntityScorecard,
  LevelChange,
  Scorecard,
  ScorecardRule,
  ScorecardStatus,
  ScorecardTrend,
  ScoreResult,
} from '@plexus/contract';

export type { AuditEvent, EntityScorecard, LevelChange, Scorecard, ScorecardRule, ScorecardStatus, ScorecardTrend };

/** One row of `GET /api/v1/scorecards/{scorecard}/results`. */
export type ScoreResultRow = ScoreResult & { title: string | null };

/** `GET /api/v1/scorecards/{scorecard}/results`. */
export interface ResultsPage {
  results: ScoreResultRow[];
  next: string | null;
}

/** `GET /api/v1/scorecards/{scorecard}/history`. */
export interface LevelChangesPage {
  changes: LevelChange[];
  next: string | null;
}

/** `GET /api/v1/audit`. */
export interface AuditPage {
  events: AuditEvent[];
  next: string | null;
}
