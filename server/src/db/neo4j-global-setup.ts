import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedNeo4j } from './embedded-neo4j.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    neo4jUri: string;
  }
}

/**
 * Gives integration tests a real Neo4j: `NEO4J_URI` when set, else a fresh embedded Neo4j in
 * a temporary data directory, stopped when the run ends.
 */
export default async function setup(project: TestProject) {
  if (process.env.NEO4J_URI) {
    project.provide('neo4jUri', process.env.NEO4J_URI);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'plexus-neo4j-test-'));
  const neo = await startEmbeddedNeo4j({
    dataDir,
    heap: '1g',
    pageCache: '256m',
    onOutput: (line) => {
      if (line.startsWith('neo4j:')) process.stderr.write(`${line}\n`);
    },
  });
  project.provide('neo4jUri', neo.uri);
  return async () => {
    await neo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
