import type { AccessControl } from '../../auth/access.ts';
import type { Catalog } from '../../catalog/catalog.ts';
import type { Invoker } from '../types.ts';
import { createUpsertEntityInvoker } from './upsert-entity.ts';
import { webhookInvoker } from './webhook.ts';

/** Invoker type → its module. A plain map: adding an engine is one line here. */
// biome-ignore lint/suspicious/noExplicitAny: each entry is an Invoker of its own config type
export type InvokerRegistry = Record<string, Invoker<any>>;

/** What invokers that write to the catalog need. */
export interface InvokerDeps {
  catalog: Catalog;
  access: AccessControl;
}

/** Every invoker type Plexus knows. */
export function createInvokers(deps: InvokerDeps): InvokerRegistry {
  return {
    webhook: webhookInvoker,
    'upsert-entity': createUpsertEntityInvoker(deps),
  };
}
