/**
 * The mixed load of issue 15 item 5, shared by the `load` benchmark (60 s on a large catalog)
 * and its smoke test in `npm test` (a few seconds, small catalog): workers over real HTTP, each
 * on its own keep-alive connection, sending GraphQL lists with relations, full-text searches,
 * impact queries, entity reads and bulk writes, with one blueprint change in the middle.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pluralFieldOf } from '@plexus/contract';
import { type BenchClient, createClient } from './client.ts';
import { toLuceneQuery } from '../server/src/search/fulltext.ts';
import { openRawDriver, type RawTarget, rawQueries } from './load-raw.ts';

/** The kinds of request in the mix, with their share of it. */
export const requestKinds = ['graphql-list', 'search', 'impact', 'entity-read', 'bulk-write'] as const;
export type RequestKind = (typeof requestKinds)[number] | 'blueprint-change';
const weights: Record<(typeof requestKinds)[number], number> = {
  'graphql-list': 25,
  search: 20,
  impact: 15,
  'entity-read': 35,
  'bulk-write': 5,
};

/** The little catalog the mix runs against, under blueprint names unique to one run. */
export interface LoadCatalog {
  team: string;
  service: string;
  services: number;
  teams: number;
}

/** What one request did. */
interface Sample {
  kind: RequestKind;
  start: number;
  ms: number;
  error?: string;
}

/** Per kind of request and in total. */
export interface KindStats {
  kind: RequestKind | 'all';
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** What a load run measured. */
export interface LoadReport {
  seconds: number;
  concurrency: number;
  throughput: number;
  kinds: KindStats[];
  /** The first few error messages, for the log. */
  errorSamples: string[];
  /** Event-loop delay of this process (the server's, when it runs in-process), ms. */
  eventLoop: { max: number; p99: number; mean: number };
  /** CPU time this process used during the run (user + system), ms. */
  cpuMs: number;
  /** The blueprint change: its own latency, when its GraphQL type was served, and the slowest request meanwhile. */
  change: {
    blueprint: string;
    ms: number;
    servedAfterMs: number;
    maxLatencyDuringMs: number;
    requestsDuring: number;
    eventLoopMaxMs: number;
    /** The slowest requests meanwhile: kind, latency and when each started, from the change's start. */
    slowestDuring: { kind: RequestKind; ms: number; startedAfterMs: number }[];
  } | null;
}

/** A seeded random generator, so a run's mix is the same each time. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const serviceId = (i: number) => `svc-${i}`;
const teamId = (i: number) => `team-${i}`;

function serviceEntity(cat: LoadCatalog, i: number, revision: number) {
  // Each service depends on up to three services with lower numbers: a graph with depth to walk.
  const deps = [i - 1, Math.floor(i / 2), Math.floor(i / 3)].filter((d) => d >= 0 && d !== i);
  return {
    blueprint: cat.service,
    identifier: serviceId(i),
    title: `Service ${i} ${['payments', 'checkout', 'search', 'catalog', 'identity'][i % 5]}`,
    properties: { tier: (i % 3) + 1, language: ['go', 'ts', 'java', 'python'][i % 4], revision },
    relations: { ownedBy: teamId(i % cat.teams), dependsOn: [...new Set(deps)].map(serviceId) },
  };
}

/**
 * Creates the mix's blueprints (a team and a service owned by it that depends on services)
 * and its entities through the API, in bulk requests of 1000.
 */
export async function seedLoadCatalog(api: BenchClient, cat: LoadCatalog): Promise<void> {
  await api.post('/api/v1/blueprints', {
    identifier: cat.team,
    title: 'Load team',
    schema: { properties: {} },
  });
  await api.post('/api/v1/blueprints', {
    identifier: cat.service,
    title: 'Load service',
    schema: {
      properties: { tier: { type: 'integer' }, language: { type: 'string' }, revision: { type: 'integer' } },
    },
    relations: {
      ownedBy: { target: cat.team },
      dependsOn: { target: cat.service, many: true, inverse: 'dependencyOf' },
    },
  });
  const teams = Array.from({ length: cat.teams }, (_, i) => ({
    blueprint: cat.team,
    identifier: teamId(i),
    title: `Team ${i}`,
  }));
  await api.post('/api/v1/entities/bulk', { entities: teams });
  for (let from = 0; from < cat.services; from += 1000) {
    const batch = [];
    for (let i = from; i < Math.min(cat.services, from + 1000); i++) batch.push(serviceEntity(cat, i, 0));
    await api.post('/api/v1/entities/bulk', { entities: batch });
  }
}

function stats(kind: KindStats['kind'], samples: Sample[]): KindStats {
  const ok = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => (ok.length === 0 ? 0 : ok[Math.min(ok.length - 1, Math.ceil(q * ok.length) - 1)]);
  return {
    kind,
    count: samples.length,
    errors: samples.filter((s) => s.error).length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: ok.at(-1) ?? 0,
  };
}

/**
 * Runs the mix for `durationMs` with `concurrency` workers against `url`, making one blueprint
 * change (a new blueprint with a relation to the services, so the GraphQL schema is rebuilt)
 * at `changeAtMs`; waits for that blueprint's type to be served before it returns.
 */
export async function runLoadMix(options: {
  url: string;
  token: string;
  /**
   * One token per client (they are different users: the server caps heavy reads in flight per
   * caller); without them every client sends `token`.
   */
  clientTokens?: string[];
  catalog: LoadCatalog;
  durationMs: number;
  concurrency: number;
  /** When the blueprint change is made; default half way; null for none. */
  changeAtMs?: number | null;
  bulkSize?: number;
  seed?: number;
  /**
   * Send the mix's hand-written Cypher straight to this database instead of requests to Plexus
   * (bench/load-raw.ts): the machine's ceiling for the mix. No blueprint change is made.
   */
  raw?: RawTarget;
  /** Weights replacing the default mix's (a kind left out is not sent), e.g. `{ 'entity-read': 1 }`. */
  mix?: Partial<Record<(typeof requestKinds)[number], number>>;
  log?: (msg: string) => void;
  /**
   * Called when the blueprint change is sent (`start`) and when GraphQL serves it (`served`):
   * lets a server in another process measure its own event loop over that window.
   */
  onChange?: (phase: 'start' | 'served') => void;
}): Promise<LoadReport> {
  const { url, token, catalog: cat, durationMs, concurrency } = options;
  const bulkSize = options.bulkSize ?? 50;
  const changeAtMs = options.raw ? null : options.changeAtMs === undefined ? durationMs / 2 : options.changeAtMs;
  const rand = random(options.seed ?? 15);
  const weightOf = (k: (typeof requestKinds)[number]) => (options.mix ? (options.mix[k] ?? 0) : weights[k]);
  const pick = (): (typeof requestKinds)[number] => {
    const total = requestKinds.reduce((s, k) => s + weightOf(k), 0);
    let r = rand() * total;
    for (const k of requestKinds) {
      r -= weightOf(k);
      if (r < 0) return k;
    }
    return 'entity-read';
  };
  const list = pluralFieldOf(cat.service);
  const words = ['payments', 'checkout', 'search', 'catalog', 'identity'];
  let revision = 0;
  const batchAt = () => {
    const from = Math.floor(rand() * Math.max(1, cat.services - bulkSize));
    revision++;
    return Array.from({ length: Math.min(bulkSize, cat.services) }, (_, j) => serviceEntity(cat, from + j, revision));
  };
  const tier = () => 1 + Math.floor(rand() * 3);
  const word = () => words[Math.floor(rand() * words.length)];
  const impactRoot = () => serviceId(Math.floor(rand() * Math.min(cat.services, 200)));
  const anyService = () => serviceId(Math.floor(rand() * cat.services));
  type Senders = Record<(typeof requestKinds)[number], () => Promise<unknown>>;
  const plexusRequests = (api: BenchClient): Senders => ({
    'graphql-list': () =>
      api.graphql(
        `query Load($tier: Int!) { ${list}(where: { tier: { eq: $tier } }, limit: 20, sort: [{ identifier: ASC }]) { identifier title tier ownedBy { identifier title } dependsOn { identifier } } }`,
        { tier: tier() },
      ),
    search: () => api.send('GET', `/api/v1/search?q=${word()}&limit=20`),
    impact: () =>
      api.send('GET', `/api/v1/blueprints/${cat.service}/entities/${impactRoot()}/impact?direction=upstream&depth=3&limit=200`),
    'entity-read': () => api.send('GET', `/api/v1/blueprints/${cat.service}/entities/${anyService()}`),
    'bulk-write': () => api.post('/api/v1/entities/bulk', { entities: batchAt() }),
  });
  const rawDriver = options.raw ? openRawDriver(options.raw) : null;
  const rawRequests = (): Senders => {
    const q = rawQueries(cat.service, cat.team);
    const run = (query: string, params: Record<string, unknown>, routing: 'READ' | 'WRITE' = 'READ') =>
      rawDriver!.executeQuery(query, { ...params, service: cat.service, team: cat.team }, { database: options.raw?.database, routing });
    return {
      'graphql-list': () => run(q.list, { tier: tier() }),
      // The same Lucene query Plexus sends (prefix and typo-tolerant terms), so both find the same entities.
      search: () => run(q.search, { q: toLuceneQuery(word()) }),
      impact: () => run(q.impact, { id: impactRoot() }),
      'entity-read': () => run(q.entityRead, { id: anyService() }),
      'bulk-write': () => run(q.bulk, { rows: batchAt() }, 'WRITE'),
    };
  };

  const samples: Sample[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  let change: { start: number; end: number; served: number; ms: number } | null = null;
  let changeLoop: ReturnType<typeof monitorEventLoopDelay> | null = null;
  const changed = `${cat.service}X${Date.now().toString(36)}`;
  loop.enable();

  // Every kind is sent at least once, however slow the server: the first requests take them in turn.
  const firsts: (typeof requestKinds)[number][] = requestKinds.filter((k) => weightOf(k) > 0);
  const worker = async (client: number) => {
    const tokens = options.clientTokens ?? [];
    const api = options.raw ? null : createClient(url, tokens.length > 0 ? tokens[client % tokens.length] : token);
    const requests = api ? plexusRequests(api) : rawRequests();
    try {
      while (performance.now() < deadline || firsts.length > 0) {
        const kind = firsts.shift() ?? pick();
        const start = performance.now();
        try {
          await requests[kind]();
          samples.push({ kind, start, ms: performance.now() - start });
        } catch (err) {
          samples.push({
            kind,
            start,
            ms: performance.now() - start,
            error: (err as Error).message.slice(0, 300),
          });
        }
      }
    } finally {
      api?.close();
    }
  };

  const changer = async () => {
    if (changeAtMs === null) return;
    await new Promise((r) => setTimeout(r, changeAtMs));
    const api = createClient(url, token);
    try {
      changeLoop = monitorEventLoopDelay({ resolution: 10 });
      changeLoop.enable();
      const start = performance.now();
      options.onChange?.('start');
      options.log?.(`load: blueprint change (${changed}) at ${((start - started) / 1000).toFixed(1)} s`);
      try {
        await api.post('/api/v1/blueprints', {
          identifier: changed,
          title: 'Added under load',
          schema: { properties: { note: { type: 'string' } } },
          relations: { service: { target: cat.service } },
        });
      } catch (err) {
        samples.push({
          kind: 'blueprint-change',
          start,
          ms: performance.now() - start,
          error: (err as Error).message.slice(0, 300),
        });
        return;
      }
      const end = performance.now();
      samples.push({ kind: 'blueprint-change', start, ms: end - start });
      // The change is over when GraphQL serves the new type.
      const type = changed.charAt(0).toUpperCase() + changed.slice(1);
      for (;;) {
        const data = await api.graphql(`{ __type(name: "${type}") { name } }`).catch(() => null);
        if ((data?.__type as { name?: string } | null)?.name === type) break;
        if (performance.now() - end > 120_000)
          throw new Error(`GraphQL did not serve ${type} within 120 s of the change`);
        await new Promise((r) => setTimeout(r, 20));
      }
      change = { start, end, served: performance.now(), ms: end - start };
      changeLoop.disable();
      options.onChange?.('served');
    } finally {
      api.close();
    }
  };

  await Promise.all([...Array.from({ length: concurrency }, (_, i) => worker(i)), changer()]).finally(() =>
    rawDriver?.close(),
  );
  loop.disable();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const load = samples.filter((s) => s.kind !== 'blueprint-change');
  const c = change as { start: number; end: number; served: number; ms: number } | null;
  const during = c ? load.filter((s) => s.start + s.ms >= c.start && s.start <= c.served) : [];
  const cl = changeLoop as ReturnType<typeof monitorEventLoopDelay> | null;
  return {
    seconds,
    concurrency,
    throughput: load.length / seconds,
    kinds: [
      ...requestKinds.map((k) =>
        stats(
          k,
          load.filter((s) => s.kind === k),
        ),
      ),
      stats(
        'blueprint-change',
        samples.filter((s) => s.kind === 'blueprint-change'),
      ),
      stats('all', load),
    ],
    errorSamples: [...new Set(samples.filter((s) => s.error).map((s) => `${s.kind}: ${s.error}`))].slice(
      0,
      5,
    ),
    eventLoop: { max: loop.max / 1e6, p99: loop.percentile(99) / 1e6, mean: loop.mean / 1e6 },
    cpuMs: (cpu.user + cpu.system) / 1000,
    change: c
      ? {
          blueprint: changed,
          ms: c.ms,
          servedAfterMs: c.served - c.start,
          maxLatencyDuringMs: Math.max(0, ...during.map((s) => s.ms)),
          requestsDuring: during.length,
          eventLoopMaxMs: cl ? cl.max / 1e6 : 0,
          slowestDuring: [...during]
            .sort((a, b) => b.ms - a.ms)
            .slice(0, 5)
            .map((s) => ({ kind: s.kind, ms: s.ms, startedAfterMs: s.start - c.start })),
        }
      : null,
  };
}

/** Removes the blueprints a run created (entities first), so a test database stays small. */
export async function dropLoadCatalog(
  api: BenchClient,
  cat: LoadCatalog,
  extra: string[] = [],
): Promise<void> {
  for (const id of [...extra, cat.service, cat.team]) {
    await api.send('DELETE', `/api/v1/blueprints/${id}?force=true`).catch(() => {});
  }
}
