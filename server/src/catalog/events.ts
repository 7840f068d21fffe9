import type { ChangeEvent } from '@plexus/contract';
import type { Logger } from '../log.ts';

// The events' shapes (ChangeEvent and its kinds, WriteContext) are the UI's too: contract/events.ts.
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
