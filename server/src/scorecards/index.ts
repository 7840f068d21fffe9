/** Scorecards (issue 6): standards as Cypher rules over the graph, levels, history, live re-evaluation. */

export { type CompiledScorecard, compileScorecard, normalizeScorecard } from './compile-scorecard.ts';
export { createEntityScoreLoader, type EntityScoreLoader } from './entity-score-loader.ts';
export { createScorecardAdmin, type ScorecardAdmin } from './manage.ts';
export { scorecardRoutes } from './routes.ts';
export { type LibraryRule, libraryRule, readRuleLibrary } from './rule-library.ts';
export {
  createScorecardService,
  type EvaluationRun,
  entityScoreKey,
  type ScorecardOptions,
  type ScorecardService,
} from './scorecard-service.ts';
