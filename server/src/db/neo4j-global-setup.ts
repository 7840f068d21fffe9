import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedNeo4j } from './embedded-neo4j.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    neo4jUri: string;
    /** Credentials for `neo4jUri` (the embedded Neo4j's generated password). */
    neo4jUser: string;
    neo4jPassword: string;
  }
}

/** Image used when tests run Neo4j in Docker: the same 5.26 LTS as the embedded launcher. */
export const neo4jTestImage = 'neo4j:5.26';

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Which Neo4j the tests get: `NEO4J_URI` when set; else `PLEXUS_TEST_NEO4J` (`embedded` or
 * `testcontainers`) when set; else the embedded launcher when Java and Maven are there, else
 * Testcontainers' Neo4j module when a Docker engine answers.
 */
export function chooseTestNeo4j(env: NodeJS.ProcessEnv, probe = { java: () => runs('java', ['-version']) && runs('mvn', ['-v']), docker: () => Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock') }): 'uri' | 'embedded' | 'testcontainers' {
  if (env.NEO4J_URI) return 'uri';
  const forced = env.PLEXUS_TEST_NEO4J;
  if (forced === 'embedded' || forced === 'testcontainers') return forced;
  if (forced) throw new Error(`PLEXUS_TEST_NEO4J must be "embedded" or "testcontainers"; got "${forced}"`);
  if (probe.java()) return 'embedded';
  if (probe.docker()) return 'testcontainers';
  throw new Error('integration tests need a Neo4j: install Java 17+ and Maven (embedded Neo4j), run a Docker engine (Testcontainers), or set NEO4J_URI');
}

/**
 * Gives integration tests a real Neo4j (see `chooseTestNeo4j`), stopped when the run ends.
 */
export default async function setup(project: TestProject) {
  const kind = chooseTestNeo4j(process.env);
  if (kind === 'uri') {
    project.provide('neo4jUri', process.env.NEO4J_URI!);
    project.provide('neo4jUser', process.env.NEO4J_USER ?? 'neo4j');
    project.provide('neo4jPassword', process.env.NEO4J_PASSWORD ?? 'neo4j');
    return;
  }
  if (kind === 'testcontainers') {
    const { Neo4jContainer } = await import('@testcontainers/neo4j');
    process.stderr.write(`neo4j: starting ${neo4jTestImage} with APOC through Testcontainers\n`);
    const container = await new Neo4jContainer(neo4jTestImage).withApoc().start();
    project.provide('neo4jUri', container.getBoltUri());
    project.provide('neo4jUser', container.getUsername());
    project.provide('neo4jPassword', container.getPassword());
    return async () => {
      await container.stop();
    };
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
  project.provide('neo4jUser', neo.user);
  project.provide('neo4jPassword', neo.password);
  return async () => {
    await neo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
