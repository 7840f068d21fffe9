/**
 * What connector tests share (`@plexus/connector-sdk/testing`): the contract suite every
 * connector passes, a clock that never waits, a `ConnectorContext` for calling a connector
 * directly, unique identifiers, the fake HTTP server and `waitFor` (polling on `vi.waitFor`). Test code only: the suite imports vitest.
 *
 * The suite runs against a real Plexus, but the SDK does not import the server: `startPlexus`
 * starts the one the integration project's setup provides (plexus-under-test.ts), and a
 * connector's integration test passes it to the suite.
 */
import type { Clock, ConnectorContext, FetchProblem } from './contract.ts';
import { createEgressPolicy, type EgressPolicy } from './egress.ts';
import { createFilePolicy } from './file-policy.ts';
import { createHttpClient } from './http-client.ts';

export {
  type ContractOptions,
  type ContractPlexus,
  type ContractSource,
  type ContractState,
  runConnectorContract,
} from './contract-suite.ts';
export { type PlexusSettings, type PlexusUnderTest, providePlexus, startPlexus } from './plexus-under-test.ts';
export { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './fake-server.ts';
export { uniqueId } from './unique-id.ts';
export { type WaitForOptions, waitFor } from './wait-for.ts';

/**
 * A clock that never waits and remembers what it was asked to wait: `sleep(ms)` moves `now()`
 * forward by `ms` and records it in `waits` (to check back-off without slowing the test).
 */
export function fakeClock(start = Date.now()): Clock & { waits: number[] } {
  const waits: number[] = [];
  let now = start;
  return {
    waits,
    now: () => now,
    async sleep(ms) {
      waits.push(ms);
      now += ms;
    },
  };
}

/** Options of `testConnectorContext`; every one has a default fit for a unit test. */
export interface TestContextOptions {
  sourceId?: string;
  clock?: Clock;
  /** Problems the connector reports are pushed here. */
  problems?: FetchProblem[];
  /** Default: fake servers on 127.0.0.1 allowed, as an operator would with PLEXUS_EGRESS_ALLOW. */
  egress?: EgressPolicy;
  /** Where relative paths resolve; default the working directory. */
  baseDir?: string;
  /** Folders the connector may read; default `baseDir` and the working directory. */
  fileRoots?: string[];
  signal?: AbortSignal;
}

/**
 * A `ConnectorContext` for calling a connector's `fetch` or webhook directly in a unit test: the
 * SDK's real HTTP client, egress and file policies, a silent logger.
 *
 * @example
 * const problems: FetchProblem[] = [];
 * for await (const r of githubConnector.fetch!(config, testConnectorContext({ clock: fakeClock(), problems }))) records.push(r);
 */
export function testConnectorContext(options: TestContextOptions = {}): ConnectorContext {
  const signal = options.signal ?? new AbortController().signal;
  const clock = options.clock ?? fakeClock();
  const egress = options.egress ?? createEgressPolicy({ allow: ['127.0.0.1'] });
  const baseDir = options.baseDir ?? process.cwd();
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const problems = options.problems ?? [];
  return {
    sourceId: options.sourceId ?? 'connector-test',
    http: (httpOptions = {}) => createHttpClient(httpOptions, { egress, clock, logger, signal }),
    egress,
    clock,
    logger,
    signal,
    baseDir,
    files: createFilePolicy({ allowedRoots: options.fileRoots ?? [...new Set([baseDir, process.cwd()])] }),
    reportProblem: (p) => problems.push(p),
  };
}
