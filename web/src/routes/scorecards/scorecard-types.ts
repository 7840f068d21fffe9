/**
 * Shapes of the scorecard and audit APIs, taken from the server's own definitions so the UI
 * and the server cannot drift apart (as `api/types.ts` does for the model).
 */
import type { AuditEvent } from '../../../../server/src/audit/audit.ts';
import type {
  EntityScorecard,
  ScorecardService,
} from '../../../../server/src/scorecards/scorecard-service.ts';
import type {
  LevelChange,
  Scorecard,
  ScorecardRule,
  ScorecardStatus,
  ScoreResult,
} from '../../../../server/src/scorecards/types.ts';

export type { AuditEvent, EntityScorecard, LevelChange, Scorecard, ScorecardRule, ScorecardStatus };

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

/** `GET /api/v1/scorecards/{scorecard}/trend`: entities per level per day, oldest first. */
export type ScorecardTrend = Awaited<ReturnType<ScorecardService['trend']>>;

/** `GET /api/v1/audit`. */
export interface AuditPage {
  events: AuditEvent[];
  next: string | null;
}
