import type { ChangeEvent } from '@plexus/contract';
import type { Logger } from '../log.ts';

// The events' shapes are the UI's too (live updates, the audit page): they live in @plexus/contract.
export type {
  AdminChangeEvent,
  AdminObjectKind,
  BlueprintChangeEvent,
  ChangeEvent,
  EntityChangeEvent,
  ScorecardLevelChangedEvent,
  WriteContext,
} from '@plexus/contract';

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
