import { defineConfig } from 'vitest/config';

// Unit tests (*.test.ts) need nothing; integration tests (*.int.test.ts) get a real Neo4j from
// the global setup: NEO4J_URI when set, else the embedded launcher in neo4j/.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Unit files share one module cache: nothing of theirs is global, and importing the
          // server's modules once instead of per file took the project from 80 s to 31 s.
          isolate: false,
          include: ['contract/**/*.test.ts', 'server/src/**/*.test.ts', 'connectors/**/*.test.ts', 'web/src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // One module cache for all files too: each file starts its own Plexus (services, GraphQL
          // workers, a driver) and stops it, and shares nothing else. Importing the server once
          // instead of per file saved ~150 s of a run; all 74 files pass this way.
          isolate: false,
          include: ['server/src/**/*.int.test.ts', 'connectors/**/*.int.test.ts', 'web/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['server/src/db/neo4j-global-setup.ts'],
          // Provides the connectors' tests with a Plexus (`startPlexus` of the SDK's testing entry).
          setupFiles: ['server/src/test-plexus-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
