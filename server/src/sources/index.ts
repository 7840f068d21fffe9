/** The sources module: connectors registered as sources, their syncs, schedules and webhooks. */
export { createCatalogSyncStore } from './catalog-sync-store.ts';
export { sourceRoutes, webhookRoutes } from './routes.ts';
export { parseSchedule } from './schedule.ts';
export {
  createSourcesService,
  type SourceDefinition,
  type SourceRunView,
  type SourcesService,
  type SourceView,
} from './sources-service.ts';

import { builtInConnectors } from '../../../connectors/registry.ts';
import { createSourcesService, type SourcesService } from './sources-service.ts';

/**
 * Creates the sources module with the built-in connectors and starts it (schema, `plexus.yaml`
 * sources, scheduler): the one call `createServices` makes.
 */
export async function startSourcesService(
  deps: Omit<Parameters<typeof createSourcesService>[0], 'connectors'>,
): Promise<SourcesService> {
  const sources = createSourcesService({ ...deps, connectors: builtInConnectors() });
  await sources.start();
  return sources;
}
