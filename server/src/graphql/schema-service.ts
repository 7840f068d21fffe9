import { Worker } from 'node:worker_threads';
import type { Model } from '@plexus/contract';
import type { Db } from '../db/driver.ts';
import { PlexusError, ServiceUnavailableError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BlueprintStore } from '../model/blueprint-store.ts';
import { type BuiltSchema, buildSchema, type ExecutionContext, type PlexusMethod } from './build-schema.ts';
import { defaultGraphqlLimits, type GraphqlLimits } from './limits.ts';
import { createPlexusDispatch, type GraphqlContext, type PlexusServices } from './plexus-calls.ts';
import type { FromWorker, SerializedError, ToWorker, WorkerSettings } from './worker-protocol.ts';

export type { BuiltSchema } from './build-schema.ts';
export type { GraphqlContext } from './plexus-calls.ts';

/** The schema the workers serve: its model version and how long its build took. */
export interface SchemaInfo {
  version: number;
  buildMs: number;
}

/** One GraphQL worker thread, for /metrics. */
export interface WorkerInfo {
  version: number;
  building: boolean;
  heapBytes: number;
  inflight: number;
}

/**
 * Builds GraphQL schemas from the model and serves GraphQL from them, in worker threads: a
 * build is seconds of CPU on big models and would stall every request if it ran on the
 * server's event loop. While one worker builds, another serves the previous schema; requests
 * go to the worker with the newest schema (the swap is atomic) and never to one that builds.
 */
export interface SchemaService {
  /** The newest schema a worker serves (the previous one while a rebuild runs). */
  current(): SchemaInfo | null;
  /** Resolves once a worker serves a schema for at least `version` (or the current model version). */
  ready(version?: number): Promise<SchemaInfo>;
  /**
   * Resolves when a request arriving now would be served without waiting for a build: at once
   * while any schema is served (eager servers), after the build for the current model version
   * on lazy ones (tests) and on a server's first build.
   */
  serving(): Promise<void>;
  /** Answers a `/graphql` request (already authenticated) in a worker, for the caller in `ctx`. */
  fetch(request: Request, ctx: GraphqlContext): Promise<Response>;
  /** Problems of a GraphQL query against the served schema (empty when it is a valid query). */
  validate(query: string): Promise<string[]>;
  /** Which GraphQL limits (depth, aliases, cost...) a query with these variables exceeds (empty: none). */
  checkLimits(query: string, variables: Record<string, unknown>): Promise<string[]>;
  /** Runs a GraphQL query for the caller in `ctx` (saved queries); the result as JSON. */
  execute(query: string, variables: Record<string, unknown>, ctx: GraphqlContext): Promise<unknown>;
  /** Builds a schema for a model in this thread without serving it (benchmarks, checks). */
  build(model: Model, version: number): Promise<BuiltSchema>;
  /** The worker threads, for /metrics. */
  workers(): WorkerInfo[];
  /** /graphql requests answered since start: by a compiled list read (compiled-lists.ts) or by graphql-yoga. */
  answered(): { compiled: number; library: number };
  /** Stops worker `index` abruptly, as a crash would: its requests get 503 and another starts. */
  killWorker(index: number): Promise<void>;
  /** Stops the workers and timers; does not close the main driver. */
  stop(): Promise<void>;
}

interface Slot {
  worker: Worker;
  started: boolean;
  version: number;
  buildMs: number;
  heapBytes: number;
  building: boolean;
  draining: boolean;
  dead: boolean;
  /** Answers awaited from this worker, by request id. */
  pending: Map<number, { resolve: (m: FromWorker) => void; reject: (e: unknown) => void }>;
  onBuilt: ((m: Extract<FromWorker, { type: 'built' }>) => void) | null;
  onStarted: (() => void)[];
}

// The worker runs TypeScript sources like the server does (tsx, also under vitest): a small
// JavaScript entry registers tsx's loader in the worker, then imports worker-main.ts.
const bootUrl = new URL('./worker-boot.mjs', import.meta.url);
const entryUrl = new URL('./worker-main.ts', import.meta.url).href;

function serializeError(err: unknown): SerializedError {
  if (err instanceof PlexusError)
    return {
      plexus: true,
      name: err.name,
      status: err.status,
      code: err.code,
      message: err.message,
      details: err.details,
    };
  return { plexus: false, message: 'internal error; see the server log' };
}

/**
 * Creates the schema service and its worker threads (`workers`, at least two when eager so one
 * serves while another builds). It subscribes to model changes, debounces bursts (`debounceMs`)
 * and rebuilds one worker at a time; in-flight requests finish on the schema they started with.
 */
export function createSchemaService(
  deps: PlexusServices & {
    db: Db;
    /** Where the workers connect (each has its own driver with a small pool). */
    neo4j: WorkerSettings['neo4j'];
    models: BlueprintStore;
    logger: Logger;
    debounceMs?: number;
    /** Build as soon as the model changes (servers); false builds on the first GraphQL request (tests, one worker). */
    eager?: boolean;
    /** Worker threads when eager (default 2, at least 2). */
    workers?: number;
    /** Neo4j connections per worker (default 10). */
    workerPoolSize?: number;
    /** What one GraphQL request may cost (checked in the worker before anything runs). */
    limits?: GraphqlLimits;
  },
): SchemaService {
  const { db, models, access, logger } = deps;
  const debounceMs = deps.debounceMs ?? 150;
  const eager = deps.eager ?? true;
  const size = eager ? Math.max(2, deps.workers ?? 2) : 1;
  const dispatch = createPlexusDispatch(deps);
  const ownerRelation = access.options.ownerRelation;
  const slots: Slot[] = [];
  const contexts = new Map<number, GraphqlContext>();
  let nextId = 1;
  let timer: NodeJS.Timeout | null = null;
  let reconciling = false;
  let again = false;
  let stopped = false;
  let failed: { version: number; error: Error } | null = null;
  let lastCrash = 0;
  let waiters: (() => void)[] = [];

  /** Wakes everything waiting for a worker state change. */
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));

  const serving = (s: Slot) => s.started && !s.dead && !s.building && !s.draining && s.version >= 0;
  function newest(): Slot | null {
    let best: Slot | null = null;
    for (const s of slots) {
      if (!serving(s)) continue;
      if (
        !best ||
        s.version > best.version ||
        (s.version === best.version && s.pending.size < best.pending.size)
      )
        best = s;
    }
    return best;
  }

  function spawn(): Slot {
    const settings: WorkerSettings = {
      neo4j: deps.neo4j,
      poolSize: deps.workerPoolSize ?? 10,
      limits: deps.limits ?? defaultGraphqlLimits,
    };
    const worker = new Worker(bootUrl, { workerData: { entry: entryUrl, settings }, name: 'plexus-graphql' });
    const slot: Slot = {
      worker,
      started: false,
      version: -1,
      buildMs: 0,
      heapBytes: 0,
      building: false,
      draining: false,
      dead: false,
      pending: new Map(),
      onBuilt: null,
      onStarted: [],
    };
    worker.on('message', (m: FromWorker) => onMessage(slot, m));
    worker.on('error', (err) => logger.error('graphql worker failed', { err }));
    worker.on('exit', (code) => onExit(slot, code));
    return slot;
  }

  function onMessage(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case 'started':
        slot.started = true;
        for (const f of slot.onStarted.splice(0)) f();
        return;
      case 'built':
        slot.heapBytes = m.heapBytes;
        slot.onBuilt?.(m);
        return;
      case 'call':
        void answerCall(slot, m);
        return;
      case 'log':
        logger.error(m.message, { err: m.err });
        return;
      default: {
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (m.type === 'failed') p.reject(new Error(`graphql worker: ${m.error}`));
        else p.resolve(m);
      }
    }
  }

  async function answerCall(slot: Slot, m: Extract<FromWorker, { type: 'call' }>): Promise<void> {
    const reply = (msg: ToWorker) => {
      if (!slot.dead) slot.worker.postMessage(msg);
    };
    try {
      const ctx = contexts.get(m.request);
      if (!ctx) throw new ServiceUnavailableError('the GraphQL request ended before its resolver ran');
      const value = await dispatch(m.method as PlexusMethod, m.args, ctx);
      try {
        reply({ type: 'call-result', callId: m.callId, ok: true, value });
      } catch {
        // Not cloneable as is (a class with methods): its JSON shape is what GraphQL would return.
        reply({
          type: 'call-result',
          callId: m.callId,
          ok: true,
          value: JSON.parse(JSON.stringify(value ?? null)),
        });
      }
    } catch (err) {
      if (!(err instanceof PlexusError)) logger.error('graphql resolver failed', { err, method: m.method });
      reply({ type: 'call-result', callId: m.callId, ok: false, error: serializeError(err) });
    }
  }

  /** Marks a worker gone: nothing more is sent to it and what it had in flight is answered 503. */
  function fail(slot: Slot): void {
    slot.dead = true;
    for (const f of slot.onStarted.splice(0)) f();
    for (const p of slot.pending.values())
      p.reject(new ServiceUnavailableError('the GraphQL worker stopped while answering; retry the request'));
    slot.pending.clear();
  }

  function onExit(slot: Slot, code: number): void {
    fail(slot);
    slot.onBuilt?.({
      type: 'built',
      version: -1,
      buildMs: 0,
      heapBytes: 0,
      error: `the worker exited (code ${code})`,
    });
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    notify();
    if (stopped) return;
    logger.error('graphql worker exited; starting another', { code });
    // A worker that keeps dying (out of memory on a huge model) is restarted at most once a second.
    const delay = Date.now() - lastCrash < 10_000 ? 1_000 : 0;
    lastCrash = Date.now();
    setTimeout(() => {
      if (stopped) return;
      slots.push(spawn());
      schedule(0);
    }, delay).unref();
  }

  /** Sends a message to a worker and awaits its answer for `id`. */
  function ask(slot: Slot, id: number, msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      try {
        slot.worker.postMessage(msg, transfer);
      } catch (err) {
        slot.pending.delete(id);
        reject(err);
      }
    });
  }

  async function buildOn(slot: Slot): Promise<void> {
    if (!slot.started) await new Promise<void>((resolve) => slot.onStarted.push(resolve));
    if (slot.dead) return;
    // New requests go elsewhere; the ones already here finish before the worker is busy building.
    slot.draining = true;
    const until = Date.now() + 30_000;
    while (slot.pending.size > 0 && !slot.dead && Date.now() < until)
      await Promise.race([changed(), new Promise((ok) => setTimeout(ok, 50))]);
    const version = models.version();
    const model = models.current();
    slot.building = true;
    const done = new Promise<Extract<FromWorker, { type: 'built' }>>((resolve) => {
      slot.onBuilt = resolve;
    });
    // A rebuild while another worker serves is background work (lower priority, worker-main.ts);
    // a first build, or a lazy one that requests wait for, is not.
    const background = eager && slots.some((s) => s !== slot && serving(s));
    slot.worker.postMessage({ type: 'build', model, version, ownerRelation, background } satisfies ToWorker);
    const m = await done;
    slot.onBuilt = null;
    slot.building = false;
    slot.draining = false;
    if (m.error && !slot.dead) {
      failed = {
        version,
        error: new Error(`the GraphQL schema for model version ${version} did not build: ${m.error}`),
      };
      logger.error('graphql schema build failed; keeping the previous schema', {
        err: m.error,
        modelVersion: version,
      });
    } else if (!m.error) {
      slot.version = m.version;
      slot.buildMs = m.buildMs;
      if (failed && failed.version <= m.version) failed = null;
      logger.info('graphql schema built', {
        modelVersion: m.version,
        types: model.size,
        ms: Math.round(m.buildMs),
        heapMb: Math.round(m.heapBytes / 1048576),
      });
    }
    notify();
  }

  /** Brings every worker to the model's version, one build at a time, stalest first. */
  async function reconcile(): Promise<void> {
    if (reconciling) {
      again = true;
      return;
    }
    reconciling = true;
    try {
      do {
        again = false;
        while (!stopped) {
          while (slots.length < size) slots.push(spawn());
          const target = models.version();
          if (failed && failed.version >= target) break;
          const stale = slots
            .filter((s) => !s.dead && s.version < target)
            .sort((a, b) => a.version - b.version);
          if (stale.length === 0) break;
          await buildOn(stale[0]);
        }
      } while (again && !stopped);
    } catch (err) {
      logger.error('graphql schema rebuild failed', { err });
    } finally {
      reconciling = false;
      // Requests waiting for a version that will not come (its build failed) stop waiting.
      notify();
    }
  }

  function schedule(delay = debounceMs): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void reconcile();
    }, delay);
  }

  function info(): SchemaInfo | null {
    let best: Slot | null = null;
    for (const s of slots) if (!s.dead && s.version >= 0 && (!best || s.version > best.version)) best = s;
    return best ? { version: best.version, buildMs: best.buildMs } : null;
  }

  /** A worker serving at least `want`; waits for builds, fails when the build for it failed. */
  async function servingAt(want: number): Promise<Slot> {
    for (;;) {
      const s = newest();
      if (s && s.version >= want) return s;
      if (stopped) throw new ServiceUnavailableError('the server is stopping');
      if (failed && failed.version >= want && !timer && !reconciling) throw failed.error;
      if (!timer && !reconciling) schedule(eager ? debounceMs : 0);
      await changed();
    }
  }

  const unsubscribe = models.onChange(() => {
    if (eager) schedule();
  });
  if (eager && models.version() >= 0) schedule(0);

  async function withRequest<T>(
    ctx: GraphqlContext,
    run: (slot: Slot, id: number, context: ExecutionContext) => Promise<T>,
  ): Promise<T> {
    // Eager servers answer with the newest schema at once (the old one while a rebuild runs);
    // lazy ones (tests) first catch up with the model.
    const slot = await servingAt(eager ? 0 : models.version());
    const id = nextId++;
    contexts.set(id, ctx);
    try {
      return await run(slot, id, {
        jwt: ctx.jwt,
        sessionConfig: ctx.sessionConfig,
        ...(ctx.transaction ? { transaction: ctx.transaction } : {}),
        request: id,
      });
    } finally {
      contexts.delete(id);
    }
  }

  const answered = { compiled: 0, library: 0 };
  return {
    current: info,
    answered: () => ({ ...answered }),
    async ready(version) {
      const s = await servingAt(version ?? models.version());
      return { version: s.version, buildMs: s.buildMs };
    },
    async serving() {
      await servingAt(eager ? 0 : models.version());
    },
    async fetch(request, ctx) {
      const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
      // The worker needs no credentials: the caller is already known and stays on this thread.
      const headers = [...request.headers].filter(([k]) => k !== 'authorization' && k !== 'cookie');
      return withRequest(ctx, async (slot, id, context) => {
        const m = await ask(slot, id, {
          type: 'http',
          id,
          method: request.method,
          url: request.url,
          headers,
          body,
          context,
        });
        if (m.type !== 'http-done') throw new Error(`graphql worker answered ${m.type}`);
        if (m.compiled) answered.compiled++;
        else answered.library++;
        return new Response(m.status === 204 || m.status === 304 ? null : m.body, {
          status: m.status,
          headers: m.headers,
        });
      });
    },
    async validate(query) {
      const slot = await servingAt(eager ? 0 : models.version());
      const id = nextId++;
      const m = await ask(slot, id, { type: 'validate', id, query });
      return m.type === 'validated' ? m.messages : [];
    },
    async checkLimits(query, variables) {
      const slot = await servingAt(eager ? 0 : models.version());
      const id = nextId++;
      const m = await ask(slot, id, { type: 'validate', id, query, variables });
      return m.type === 'validated' ? m.messages : [];
    },
    execute(query, variables, ctx) {
      return withRequest(ctx, async (slot, id, context) => {
        const m = await ask(slot, id, { type: 'execute', id, query, variables, context });
        return m.type === 'executed' ? m.result : null;
      });
    },
    build(model, version) {
      // In this thread, with Plexus's resolvers called directly: for benchmarks and checks.
      return buildSchema({
        model,
        version,
        db,
        ownerRelation,
        call: async (method, args, request) => {
          const ctx = contexts.get(request);
          if (!ctx) throw new ServiceUnavailableError('no caller for this GraphQL request');
          return dispatch(method, args, ctx);
        },
      });
    },
    async killWorker(index) {
      const slot = slots[index];
      if (!slot) return;
      fail(slot);
      await slot.worker.terminate();
    },
    workers: () =>
      slots.map((s) => ({
        version: s.version,
        building: s.building,
        heapBytes: s.heapBytes,
        inflight: s.pending.size,
      })),
    async stop() {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      notify();
      await Promise.all(
        slots.map(async (s) => {
          for (const p of s.pending.values()) p.reject(new ServiceUnavailableError('the server is stopping'));
          s.pending.clear();
          await s.worker.terminate();
        }),
      );
    },
  };
}
