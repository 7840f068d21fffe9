import type { EntityScorecard } from '@plexus/contract';
import { entityScoreKey, type ScorecardService } from './scorecard-service.ts';

/** Loads one entity's scorecards; calls made in the same tick share one query. */
export type EntityScoreLoader = (ref: {
  blueprint: string;
  identifier: string;
}) => Promise<EntityScorecard[]>;

/**
 * A per-request batching loader for the GraphQL `scorecards` field: a list of 100 services asks
 * for 100 entities' scorecards in the same tick, which become one `entityScores` query instead
 * of 100. Keep one loader per request (results are not cached across requests).
 */
export function createEntityScoreLoader(scorecards: ScorecardService): EntityScoreLoader {
  let batch: {
    refs: { blueprint: string; identifier: string }[];
    done: Promise<Map<string, EntityScorecard[]>>;
  } | null = null;
  return (ref) => {
    if (!batch) {
      const refs: { blueprint: string; identifier: string }[] = [];
      const current = {
        refs,
        done: new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => {
          if (batch === current) batch = null;
          return scorecards.entityScores(refs);
        }),
      };
      batch = current;
    }
    batch.refs.push({ blueprint: ref.blueprint, identifier: ref.identifier });
    return batch.done.then((m) => m.get(entityScoreKey(ref.blueprint, ref.identifier)) ?? []);
  };
}
