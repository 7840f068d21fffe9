/**
 * How a connector's integration test gets a running Plexus without importing the server: the
 * integration project's setup file (server/src/test-plexus-setup.ts, `setupFiles` in
 * vitest.config.ts) provides the server's `startTestPlexus`, and the test calls `startPlexus()`.
 * The dependency points from the server to the SDK, as everywhere else.
 */
import type { ContractPlexus } from './contract-suite.ts';

/** A Plexus on the test Neo4j, as connector tests use it. */
export interface PlexusUnderTest extends ContractPlexus {
  /**
   * Runs one Cypher statement on the test database and returns its rows as plain objects: to
   * check what a sync wrote, or to set up what an earlier version left behind.
   */
  cypher<T = Record<string, unknown>>(query: string, params?: Record<string, unknown>): Promise<T[]>;
}

/**
 * Settings that replace the test server's (top-level keys of the server's configuration, e.g.
 * `{ egress: { allow: [...] } }` to test what a connector may reach). Untyped here: the SDK does
 * not know the server's configuration type; the server checks it.
 */
export type PlexusSettings = Record<string, unknown>;

let provider: ((settings?: PlexusSettings) => Promise<PlexusUnderTest>) | null = null;

/** Sets how `startPlexus` starts one; called by the integration project's setup file. */
export function providePlexus(start: (settings?: PlexusSettings) => Promise<PlexusUnderTest>): void {
  provider = start;
}

/** Starts a Plexus on the test Neo4j with an admin token; `close()` it when the test ends. */
export function startPlexus(settings?: PlexusSettings): Promise<PlexusUnderTest> {
  if (!provider) {
    throw new Error(
      'startPlexus: no Plexus to start here; integration tests (*.int.test.ts) get one from server/src/test-plexus-setup.ts, the setupFiles of the "integration" project in vitest.config.ts',
    );
  }
  return provider(settings);
}
