import type { EgressPolicy } from '@plexus/connector-sdk';
import type { Catalog } from '../../catalog/catalog.ts';
import type { EventBus } from '../../catalog/events.ts';
import type { Db } from '../../db/driver.ts';
import type { Logger } from '../../log.ts';
import type { BlueprintStore } from '../../model/blueprint-store.ts';
import type { ScorecardService } from '../../scorecards/index.ts';
import type { SecretBox } from '../secrets.ts';
import type { ActionsService } from '../types.ts';
import {
  type AutomationConsumer,
  type AutomationConsumerOptions,
  createAutomationConsumer,
} from './consumer.ts';
import { type AutomationStore, createAutomationStore } from './store.ts';

export type { AutomationConsumer } from './consumer.ts';
export type { AutomationStore, AutomationView } from './store.ts';

/** Automations: definitions (REST) and the consumer that fires them from the audit trail. */
export interface Automations {
  store: AutomationStore;
  /** Null when this replica does not consume (`pollMs` 0). */
  consumer: AutomationConsumer | null;
  stop(): Promise<void>;
}

/**
 * Wires automations: the store, and — unless `consumer.pollMs` is 0 — the consumer, woken by
 * every change on this replica (the event bus) besides its polling.
 */
export function createAutomations(deps: {
  db: Db;
  catalog: Catalog;
  models: BlueprintStore;
  scorecards: ScorecardService;
  events: EventBus;
  egress: EgressPolicy;
  logger: Logger;
  secrets: SecretBox;
  /** The actions service, once wired (validation of action names, action targets). */
  actions?: () => ActionsService | undefined;
  consumer: AutomationConsumerOptions;
}): Automations {
  const { db, models, scorecards, egress } = deps;
  const store = createAutomationStore({
    db,
    secrets: deps.secrets,
    context: () => {
      const actions = deps.actions?.();
      return {
        model: models.current(),
        scorecard: (id) =>
          scorecards.get(id).then(
            (s) => ({ blueprint: s.blueprint }),
            () => null,
          ),
        egress,
        // An admin's view: whether the action exists at all.
        ...(actions
          ? {
              actionExists: (id: string) =>
                actions
                  .get(
                    {
                      id: 'automations',
                      name: 'automations',
                      kind: 'service',
                      role: 'admin',
                      teams: [],
                      moderates: [],
                    },
                    id,
                  )
                  .then(
                    () => true,
                    () => false,
                  ),
            }
          : {}),
      };
    },
  });
  const pollMs = deps.consumer.pollMs ?? 1000;
  const consumer =
    pollMs > 0
      ? createAutomationConsumer({
          db,
          store,
          catalog: deps.catalog,
          egress,
          logger: deps.logger,
          actions: deps.actions,
          options: deps.consumer,
        })
      : null;
  const off = consumer ? deps.events.on(() => consumer.nudge()) : () => {};
  return {
    store,
    consumer,
    async stop() {
      off();
      await consumer?.stop();
    },
  };
}
