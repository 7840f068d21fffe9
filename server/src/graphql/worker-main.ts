/**
 * A GraphQL worker thread: builds the schema of a model (seconds of CPU that would otherwise
 * stall the server's event loop) and executes requests on it with its own Neo4j driver.
 * Plexus's own resolvers run on the main thread: they are forwarded over the message port
 * (see worker-pool.ts for the protocol and the main side).
 */
import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Model } from '@plexus/contract';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { createDriver, type Db } from '../db/driver.ts';
import { mapDatabaseError, PlexusError } from '../errors.ts';
import { type BuiltSchema, buildSchema, type ExecutionContext, type PlexusMethod } from './build-schema.ts';
import { type CompiledLists, createCompiledLists } from './compiled-lists.ts';
import { checkGraphqlLimits, graphqlLimitsPlugin } from './limits.ts';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.ts';

// @neo4j/graphql loads graphql as CommonJS; executing its schema needs that same copy of graphql.
const { GraphQLError, graphql, parse, validate } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

const port = parentPort!;
const settings = (workerData as { settings: WorkerSettings }).settings;
const driver = createDriver({ ...settings.neo4j, poolSize: settings.poolSize });
const db: Db = { driver, database: settings.neo4j.database, retryMs: settings.neo4j.maxRetryMs };
let built: BuiltSchema | null = null;
/** Compiled list reads on the served schema (compiled-lists.ts); off with PLEXUS_GRAPHQL_COMPILED_LISTS=0, for A/B runs. */
let lists: CompiledLists | null = null;
const compiledListsOn = process.env.PLEXUS_GRAPHQL_COMPILED_LISTS !== '0';
let yoga: YogaServerInstance<{ plexus: ExecutionContext }, ExecutionContext> | null = null;

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/**
 * Schema builds run at a lower CPU priority (nice +10; `PLEXUS_GRAPHQL_BUILD_NICE`, 0 turns it
 * off, for A/B runs) so that, on a small machine, the seconds
 * of CPU a build takes go to REST, the serving worker and Neo4j first (issue 15: no request
 * slower than 1 s during a blueprint change). On Linux a thread's nice value is its own
 * (setpriority on the calling thread; checked: the main thread and the other workers keep
 * theirs). Raising it back after the build needs CAP_SYS_NICE or RLIMIT_NICE in unprivileged
 * containers, so it is probed once with a step of one: when it cannot be raised back, builds run
 * at normal priority (and this thread stays one step lower, which is harmless). Null: not used.
 */
const buildNice = Math.max(0, Math.min(19, Number(process.env.PLEXUS_GRAPHQL_BUILD_NICE ?? 10) || 0));
const normalNice = ((): number | null => {
  if (process.platform !== 'linux' || buildNice === 0) return null;
  try {
    const base = getPriority(0);
    if (base >= 19) return null;
    setPriority(0, base + 1);
    try {
      setPriority(0, base);
      return base;
    } catch {
      return null;
    }
  } catch {
    return null;
  }
})();

/** Runs `work` at nice +buildNice (when the thread can return to its normal priority afterwards). */
async function atLowPriority<T>(work: () => Promise<T>): Promise<T> {
  if (normalNice === null) return work();
  setPriority(0, Math.min(19, normalNice + buildNice));
  try {
    return await work();
  } finally {
    setPriority(0, normalNice);
  }
}

let nextCall = 1;
const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
function call(method: PlexusMethod, args: Record<string, unknown>, request: number): Promise<unknown> {
  const callId = nextCall++;
  return new Promise((resolve, reject) => {
    calls.set(callId, { resolve, reject });
    send({ type: 'call', callId, request, method, args });
  });
}

function makeYoga(): YogaServerInstance<{ plexus: ExecutionContext }, ExecutionContext> {
  return createYoga({
    graphqlEndpoint: '/graphql',
    schema: () => built!.schema,
    context: ({ plexus }) => plexus,
    // GraphiQL loads its scripts from a CDN and inline, which the pages' CSP forbids, and a
    // browser cannot send the bearer token /graphql needs anyway: clients use POST.
    graphiql: false,
    logging: false,
    plugins: [graphqlLimitsPlugin(settings.limits)],
    maskedErrors: {
      maskError(error, message) {
        const raw = (error as { originalError?: unknown }).originalError;
        const code = (raw as { code?: unknown } | undefined)?.code;
        if (typeof code === 'string' && code.startsWith('Neo.ClientError.Transaction.TransactionTimedOut')) {
          return Object.assign(error as Error, {
            message: `the query ran longer than ${settings.limits.timeoutMs} ms (PLEXUS_GRAPHQL_TIMEOUT_MS) and was stopped; ask for fewer rows or less depth`,
            extensions: { code: 'timeout', status: 503 },
          });
        }
        // Errors of the request itself (variables graphql-js cannot coerce) come before
        // execution and have no path: they describe the caller's input and are safe to show.
        if (!(error as { path?: unknown }).path && raw instanceof GraphQLError) return error as Error;
        // A database that is away or busy: service_unavailable (503), like REST.
        const original = mapDatabaseError(raw);
        if (original instanceof PlexusError) {
          return Object.assign(error as Error, {
            message: original.message,
            extensions: { code: original.code, status: original.status, details: original.details },
          });
        }
        // Parse and validation errors have no original error and are safe to show.
        if (!original) return error as Error;
        send({ type: 'log', message: 'graphql resolver failed', err: errorText(original) });
        return new Error(message) as Error;
      },
    },
  });
}

/** What yoga answers a JSON request from a client that accepts JSON with (checked in compiled-lists.int.test.ts). */
const compiledHeaders: [string, string][] = [['content-type', 'application/json; charset=utf-8']];

/**
 * The answer of a compiled list read (compiled-lists.ts) to a POST of JSON from a client that
 * accepts JSON (the media type yoga would answer with too), or null: yoga serves the request.
 */
async function answerCompiled(m: Extract<ToWorker, { type: 'http' }>): Promise<ArrayBuffer | null> {
  if (!lists || m.method !== 'POST' || !m.body) return null;
  const header = (name: string) => m.headers.find(([k]) => k.toLowerCase() === name)?.[1];
  const type = header('content-type')?.split(';')[0].trim().toLowerCase();
  const accept = header('accept')?.trim().toLowerCase();
  if (
    type !== 'application/json' ||
    (accept !== undefined && accept !== '*/*' && accept !== 'application/json')
  )
    return null;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(m.body));
  } catch {
    return null;
  }
  try {
    const json = await lists.answer(body, m.context);
    if (json === null) return null;
    const bytes = new TextEncoder().encode(json);
    // Transferred to the main thread: a buffer of exactly the answer's bytes.
    return bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
  } catch (err) {
    // A bug here must not cost the caller their answer: yoga serves the request.
    send({
      type: 'log',
      message: 'compiled list read failed; graphql-yoga answers instead',
      err: errorText(err),
    });
    return null;
  }
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'build': {
      try {
        // The worker was drained before the build: nothing else runs on it meanwhile. Only a
        // background rebuild (another worker serves) runs at low priority: when requests wait
        // for this build (the first one, lazy services), slowing it would slow them.
        const build = () =>
          buildSchema({
            model: m.model as Model,
            version: m.version,
            db,
            ownerRelation: m.ownerRelation,
            call,
          });
        const next = m.background ? await atLowPriority(build) : await build();
        built = next;
        lists = compiledListsOn
          ? createCompiledLists({ schema: next.schema, model: m.model as Model, db, limits: settings.limits })
          : null;
        yoga ??= makeYoga();
        send({
          type: 'built',
          version: next.version,
          buildMs: next.buildMs,
          heapBytes: process.memoryUsage().heapUsed,
        });
      } catch (err) {
        send({
          type: 'built',
          version: m.version,
          buildMs: 0,
          heapBytes: process.memoryUsage().heapUsed,
          error: errorText(err),
        });
      }
      return;
    }
    case 'http': {
      try {
        const compiled = await answerCompiled(m);
        if (compiled) {
          send(
            {
              type: 'http-done',
              id: m.id,
              version: built!.version,
              status: 200,
              headers: compiledHeaders,
              body: compiled,
              compiled: true,
            },
            [compiled],
          );
          return;
        }
        const headers = new Headers(m.headers);
        const req = new Request(m.url, {
          method: m.method,
          headers,
          body: m.body && m.method !== 'GET' && m.method !== 'HEAD' ? m.body : undefined,
        });
        const res = await yoga!.fetch(req, { plexus: m.context });
        // Copied, not transferred: the fetch implementation may hand out a pooled buffer.
        const body = await res.arrayBuffer();
        send({
          type: 'http-done',
          id: m.id,
          version: built!.version,
          status: res.status,
          headers: [...res.headers],
          body,
        });
      } catch (err) {
        send({ type: 'failed', id: m.id, error: errorText(err) });
      }
      return;
    }
    case 'validate': {
      try {
        const doc = parse(m.query);
        if (m.variables !== undefined) {
          // The limits only: a saved query is no way around them.
          send({
            type: 'validated',
            id: m.id,
            messages: checkGraphqlLimits(built!.schema, doc, settings.limits, { variables: m.variables }).map(
              (e) => e.message,
            ),
          });
          return;
        }
        const messages = validate(built!.schema, doc).map((e) => e.message);
        if (doc.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation !== 'query'))
          messages.push('only queries can be saved, not mutations');
        send({ type: 'validated', id: m.id, messages });
      } catch (err) {
        send({
          type: 'validated',
          id: m.id,
          messages: [`GraphQL does not parse: ${(err as Error).message}`],
        });
      }
      return;
    }
    case 'execute': {
      try {
        const result = await graphql({
          schema: built!.schema,
          source: m.query,
          variableValues: m.variables,
          contextValue: m.context,
        });
        // Errors as their JSON shape (message, locations, path, extensions): what a client sees.
        send({ type: 'executed', id: m.id, result: JSON.parse(JSON.stringify(result)) });
      } catch (err) {
        send({ type: 'failed', id: m.id, error: errorText(err) });
      }
      return;
    }
    case 'call-result': {
      const pending = calls.get(m.callId);
      if (!pending) return;
      calls.delete(m.callId);
      if (m.ok) pending.resolve(m.value);
      else if (m.error.plexus) {
        const e = new PlexusError(m.error.status, m.error.code, m.error.message, m.error.details);
        e.name = m.error.name;
        pending.reject(e);
      } else pending.reject(new Error(m.error.message));
      return;
    }
    case 'stop': {
      await driver.close().catch(() => {});
      port.close();
      return;
    }
  }
}

port.on('message', (m: ToWorker) => void handle(m));
send({ type: 'started' });
