import type { Logger } from '../log.ts';
import type { Blueprint, StoredEntity } from '../model/types.ts';

/** Who wrote, from where: stamped on nodes and carried by every change event. */
export interface WriteContext {
  /** User or token name. */
  actor: string;
  /** Provenance: `api`, `graphql`, `cli`, `demo`, `migration` (a forced blueprint change), or `connector:<source>`. */
  source: string;
  /** Action run or sync run that made the write. */
  runId?: string;
  /** The `plexus apply` set the write belongs to (`x-plexus-apply-set`), recorded on what it writes. */
  applySet?: string;
}

/** A change to one entity, emitted after the write committed. */
export interface EntityChangeEvent {
  type: 'entity.created' | 'entity.updated' | 'entity.deleted';
  blueprint: string;
  identifier: string;
  before: StoredEntity | null;
  after: StoredEntity | null;
  actor: string;
  source: string;
  runId?: string;
  at: string;
}

/** A change to the model, emitted after the blueprint was stored. */
export interface BlueprintChangeEvent {
  type: 'blueprint.created' | 'blueprint.updated' | 'blueprint.deleted';
  blueprint: string;
  before?: Blueprint | null;
  after?: Blueprint | null;
  actor: string;
  /** Origin of the request (`api`, `ui`, `cli`); absent means `api`. */
  source?: string;
  at: string;
}

/**
 * An entity moved to another level of a scorecard, emitted after the result was stored (the first
 * result of an entity is not a change). `entity` is the entity's identifier.
 */
export interface ScorecardLevelChangedEvent {
  type: 'scorecard.levelChanged';
  scorecard: string;
  blueprint: string;
  entity: string;
  from: string;
  to: string;
  /** Positions of `from` and `to` in the scorecard's levels (lowest first), when known: a drop is `toIndex < fromIndex`. */
  fromIndex?: number | null;
  toIndex?: number | null;
  /** `scorecard:<identifier>`: an evaluation, not a person, changed the level. */
  actor: string;
  at: string;
}

/** Administered objects other than entities and blueprints whose changes are audited. */
export type AdminObjectKind = 'scorecard' | 'source' | 'user' | 'team' | 'token' | 'query' | 'view' | 'action' | 'automation' | 'run';

/**
 * A change to an administered object, recorded right after it was stored. `subject` is the
 * object's identifier (a token's id, a user's id); `blueprint` the blueprint it belongs to
 * (scorecards, views), which decides who may read the event. Snapshots never hold secrets:
 * tokens without secret or hash, sources without their secret config values.
 */
export interface AdminChangeEvent<K extends AdminObjectKind = AdminObjectKind> {
  type: `${K}.created` | `${K}.updated` | `${K}.deleted` | (K extends 'source' ? 'source.syncStarted' : never);
  kind: K;
  subject: string;
  blueprint?: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  actor: string;
  /** Origin: `api`, `ui`, `cli`... as in `WriteContext.source`. */
  source: string;
  /** The sync run a `source.syncStarted` started. */
  runId?: string;
  at: string;
}

export type ChangeEvent = EntityChangeEvent | BlueprintChangeEvent | ScorecardLevelChangedEvent | AdminChangeEvent;
export type ChangeListener = (events: readonly ChangeEvent[]) => void | Promise<void>;

/** Fan-out of change events to audit, automations, scorecards and live UI updates. */
export interface EventBus {
  emit(events: readonly ChangeEvent[]): void;
  /** Subscribes; returns the unsubscribe function. A failing listener is logged, never fatal. */
  on(listener: ChangeListener): () => void;
}

/** Creates an in-process event bus. Listeners get the events of one write as one array. */
export function createEventBus(logger: Logger): EventBus {
  const listeners = new Set<ChangeListener>();
  return {
    emit(events) {
      if (events.length === 0) return;
      for (const l of listeners) {
        Promise.resolve()
          .then(() => l(events))
          .catch((err) => logger.error('change listener failed', { err }));
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
