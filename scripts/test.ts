/**
 * `npm test`: builds what the tests need (the embedded Neo4j's jars via neo4j/start.sh, the
 * web UI when it changed), runs every vitest project, and ends with one plain line
 * `N passed, N failed` from vitest's JSON report, so a run that executed nothing is visible.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseTestNeo4j } from '../server/src/db/neo4j-global-setup.ts';

const root = process.cwd();
const out = join(root, 'test-output');
mkdirSync(out, { recursive: true });

function step(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  return r.status ?? 1;
}

// The embedded Neo4j's jars are resolved once, before vitest starts (Testcontainers or NEO4J_URI need none).
let neo4jKind: ReturnType<typeof chooseTestNeo4j>;
try {
  neo4jKind = chooseTestNeo4j(process.env);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n0 passed, 1 failed\n`);
  process.exit(1);
}
if (neo4jKind === 'embedded' && step('bash', ['neo4j/start.sh', '--build-only']) !== 0) {
  process.stderr.write('could not build the embedded Neo4j (needs Java 17+ and Maven); or run a Docker engine, or set NEO4J_URI\n');
  process.exit(1);
}
// The UI is rebuilt only when web/src, contract/ or the build config changed since the last build.
if (existsSync(join(root, 'web', 'vite.config.ts')) && step('node', ['web/scripts/ensure-build.mjs', '--strict']) !== 0) {
  process.stderr.write('web build failed\n');
  process.exit(1);
}

const report = join(out, 'vitest.json');
const code = step('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
}
if (code !== 0 && failed === 0) failed = 1; // the runner itself failed (e.g. a suite could not load)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code !== 0 || failed > 0 || passed === 0 ? 1 : 0);
