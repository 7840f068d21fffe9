/**
 * Setup file of the integration project (vitest.config.ts `setupFiles`): gives the connectors'
 * integration tests their Plexus through the SDK (`startPlexus` of `@plexus/connector-sdk/testing`),
 * so no connector test imports a server file.
 */
import { providePlexus } from '@plexus/connector-sdk/testing';
import type { PlexusConfig } from './config.ts';
import { writeRows } from './db/driver.ts';
import { startTestPlexus } from './test-support.ts';

providePlexus(async (settings) => {
  const px = await startTestPlexus(settings as Partial<PlexusConfig> | undefined);
  return Object.assign(px, {
    cypher: <T>(query: string, params: Record<string, unknown> = {}) =>
      writeRows<T>(px.services.db, query, params),
  });
});
