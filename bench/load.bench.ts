import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from './client.ts';
import type { Benchmark } from './harness.ts';
import { formatNumber } from './harness.ts';
import { runLoadInChild } from './load-client.ts';
import { type LoadCatalog, requestKinds, seedLoadCatalog } from './load-mix.ts';

/**
 * Issue 15 item 5: a bounded mixed load against one Plexus server over HTTP on this machine's
 * Neo4j: GraphQL lists with relations, full-text search, impact, entity reads and bulk writes
 * from `BENCH_LOAD_CONCURRENCY` keep-alive clients for `BENCH_LOAD_SECONDS`, with one blueprint
 * change half way. The server runs in this process; the clients run in a child process
 * (bench/load-client.ts), so they do not share the server's event loop and the event-loop delay
 * measured here is the server's own (they still share the machine's cores).
 * Targets (2 cores): >= 300 requests/s, p99 < 500 ms, no errors, no request slower than 1 s
 * while the blueprint change is stored and the schema rebuilt.
 */
const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const concurrency = Number(process.env.BENCH_LOAD_CONCURRENCY ?? 16);
const services = Number(process.env.BENCH_LOAD_SERVICES ?? 10_000);
/**
 * Seconds of the Plexus mix at least, and at most, before anything is measured (then 10 s of the
 * raw mix); see the warm-up.
 */
const warmupSeconds = Number(process.env.BENCH_LOAD_WARMUP_SECONDS ?? 150);
const warmupMaxSeconds = Math.max(warmupSeconds, Number(process.env.BENCH_LOAD_WARMUP_MAX_SECONDS ?? 480));
/** `BENCH_LOAD_MIX=entity-read=1,search=1` runs another mix (to find what one kind of request costs). */
const mix = process.env.BENCH_LOAD_MIX
  ? (Object.fromEntries(
      process.env.BENCH_LOAD_MIX.split(',').map((pair) => {
        const [kind, weight] = pair.split('=');
        if (!(requestKinds as readonly string[]).includes(kind) || !(Number(weight) >= 0))
          throw new Error(`BENCH_LOAD_MIX: "${pair}" is not kind=weight with kind one of ${requestKinds.join(', ')}`);
        return [kind, Number(weight)];
      }),
    ) as Partial<Record<(typeof requestKinds)[number], number>>)
  : undefined;

/** CPU time (user + system) a process has used so far, ms, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const bench: Benchmark = {
  name: 'load',
  title: 'Mixed load with a blueprint change (issue 15)',
  async run(ctx) {
    await ctx.resetDatabase();
    const plexus = await ctx.startPlexus();
    const api = createClient(plexus.url, plexus.token);
    try {
      const catalog: LoadCatalog = {
        team: 'loadTeam',
        service: 'loadService',
        services,
        teams: Math.max(5, Math.round(services / 50)),
      };
      ctx.log(`load: seeding ${services.toLocaleString('en-US')} services and ${catalog.teams} teams`);
      await seedLoadCatalog(api, catalog);
      await plexus.services.schemas.ready(plexus.services.models.version());
      // One member token per client: they stand for different people (the server caps heavy
      // reads in flight per caller, so one shared token would measure that cap instead).
      const clientTokens: string[] = [];
      for (let i = 0; i < concurrency; i++) {
        const created = (await api.post('/api/v1/tokens', { name: `load-client-${i}`, role: 'member' })) as {
          token: string;
        };
        clientTokens.push(created.token);
      }
      // Warm-up, Plexus's mix then the raw one, before either is measured: plans cached, the
      // server's code optimised and, above all, Neo4j warm. A Neo4j just started and seeded
      // spends about twice the CPU per request for the first minute of load (JIT compilation
      // competing for the same 2 cores): measured on 2026-12-03, three 20 s runs in a row of this
      // mix gave 81, 134 and 166 requests/s (Neo4j 17.0, 8.6 and 6.6 ms of CPU per request). With
      // the 5 s warm-up used until then, the Plexus run (first) paid for that and the raw run
      // (second) did not. Each chunk's figures are logged, so the log shows whether it levelled off.
      // At least warmupSeconds, then on while it still gets faster. Measured on 2026-12-03 after
      // a restart of Neo4j (16 clients, 30 s runs of this mix on 10,000 services): 79, 142, 182,
      // 210, 273, 244, 239 requests/s, Neo4j CPU per request 18.1, 9.0, 6.9, 5.4, 3.8, 4.3, 4.2
      // ms: it takes two to three minutes of load to compile its hot paths on 2 busy cores, and
      // the bench's run with a one-minute warm-up measured a Neo4j at 12 ms per request. Past
      // the minimum, the warm-up ends once three chunks in a row (45 s) were none of them 5%
      // faster than the best before them (at most warmupMaxSeconds). Until the sixth session
      // one slower chunk ended it: chunks vary by ±10% on a shared machine, and a run stopped at
      // 273 requests/s right after a chunk of 309, while Neo4j still got faster (a harness that
      // warmed for five minutes measured the same code at 320-338).
      const warmNeo4j = processCpuMs(ctx.neo4jPid?.());
      // Requests/s of each chunk, for the notes.
      const warmup: number[] = [];
      for (let spent = 0; spent < warmupMaxSeconds; ) {
        const chunk = Math.min(15, warmupMaxSeconds - spent);
        const before = processCpuMs(ctx.neo4jPid?.());
        const warm = await runLoadInChild({
          url: plexus.url,
          token: plexus.token,
          clientTokens,
          catalog,
          durationMs: chunk * 1000,
          concurrency,
          changeAtMs: null,
          mix,
        });
        spent += chunk;
        const after = processCpuMs(ctx.neo4jPid?.());
        const count = warm.kinds.find((k) => k.kind === 'all')!.count;
        warmup.push(warm.throughput);
        ctx.log(
          `load: warm-up, ${chunk} s: ${formatNumber(warm.throughput, 0)} requests/s${before !== null && after !== null ? `, Neo4j ${formatNumber((after - before) / Math.max(1, count), 2)} ms CPU per request` : ''}`,
        );
        const bestBefore = Math.max(0, ...warmup.slice(0, -3));
        const levelled = warmup.length > 3 && warmup.slice(-3).every((t) => t < bestBefore * 1.05);
        if (spent >= warmupSeconds && levelled) break;
      }
      await runLoadInChild({
        url: plexus.url,
        token: plexus.token,
        catalog,
        durationMs: 10_000,
        concurrency,
        mix,
        raw: { uri: ctx.neo4jUri, ...ctx.neo4jAuth },
      });
      const warmedFor = warmNeo4j === null ? null : (processCpuMs(ctx.neo4jPid?.()) ?? 0) - warmNeo4j;
      if (warmedFor !== null) ctx.log(`load: warm-up done (Neo4j used ${formatNumber(warmedFor / 1000, 1)} s of CPU)`);
      ctx.log(`load: ${seconds} s at concurrency ${concurrency}`);
      // The server's event loop (this process): over the whole run, and over the blueprint change.
      const loop = monitorEventLoopDelay({ resolution: 10 });
      const changeLoop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const serverCpu = process.cpuUsage();
      const neo4jCpu = processCpuMs(ctx.neo4jPid?.());
      const report = await runLoadInChild(
        {
          url: plexus.url,
          token: plexus.token,
          clientTokens,
          catalog,
          durationMs: seconds * 1000,
          concurrency,
          mix,
        },
        {
          log: ctx.log,
          onChange: (phase) => (phase === 'start' ? changeLoop.enable() : changeLoop.disable()),
        },
      );
      loop.disable();
      changeLoop.disable();
      const serverCpuUsed = process.cpuUsage(serverCpu);
      const serverCpuMs = (serverCpuUsed.user + serverCpuUsed.system) / 1000;
      const neo4jCpuAfter = processCpuMs(ctx.neo4jPid?.());
      const neo4jCpuMs = neo4jCpu !== null && neo4jCpuAfter !== null ? neo4jCpuAfter - neo4jCpu : null;
      // The same mix as hand-written Cypher through the raw driver, from the same child process.
      ctx.log(`load: the same mix as hand-written Cypher through the raw driver, ${seconds} s`);
      const neo4jRawBefore = processCpuMs(ctx.neo4jPid?.());
      const raw = await runLoadInChild(
        {
          url: plexus.url,
          token: plexus.token,
          catalog,
          durationMs: seconds * 1000,
          concurrency,
          mix,
          raw: { uri: ctx.neo4jUri, ...ctx.neo4jAuth },
        },
        { log: ctx.log },
      );
      const neo4jRawAfter = processCpuMs(ctx.neo4jPid?.());
      const neo4jRawMs = neo4jRawBefore !== null && neo4jRawAfter !== null ? neo4jRawAfter - neo4jRawBefore : null;
      const errors = report.kinds.find((k) => k.kind === 'all')!.errors;
      for (const e of report.errorSamples) ctx.log(`load: error: ${e}`);
      const ms = (v: number) => formatNumber(v, 1);
      const rawAll = raw.kinds.find((k) => k.kind === 'all')!;
      const all = report.kinds.find((k) => k.kind === 'all')!;
      const rows = [
        ...report.kinds.map((k) => ({ k, side: 'Plexus', seconds: report.seconds })),
        ...raw.kinds
          .filter((k) => k.count > 0 && k.kind !== 'blueprint-change')
          .map((k) => ({ k, side: 'raw driver', seconds: raw.seconds })),
      ].map(({ k, side, seconds: s }) => [
        `${side}: ${k.kind}`,
        k.count,
        formatNumber(k.count / s, 1),
        ms(k.p50),
        ms(k.p95),
        ms(k.p99),
        ms(k.max),
        k.errors,
      ]);
      const change = report.change;
      return {
        title: `Mixed load, ${concurrency} clients, ${formatNumber(report.seconds, 0)} s, ${services.toLocaleString('en-US')} services`,
        table: {
          columns: ['request', 'count', 'per s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'],
          rows,
        },
        notes: [
          `Throughput ${formatNumber(report.throughput, 0)} requests/s (target >= 300), p99 ${ms(all.p99)} ms (target < 500), ${errors} errors (target 0).`,
          `Against the raw driver sending the mix's hand-written Cypher (bench/load-raw.ts) from the same ${concurrency} clients for as long: ${formatNumber(raw.throughput, 0)} requests/s, p99 ${ms(rawAll.p99)} ms, ${rawAll.errors} errors; Plexus serves ${formatNumber(report.throughput / Math.max(1e-9, raw.throughput), 2)}× the raw throughput at ${formatNumber(all.p99 / Math.max(1e-9, rawAll.p99), 1)}× its p99. Raw ${cpuNote(rawAll.count, null, neo4jRawMs, raw.cpuMs, raw.seconds)}`,
          `Event-loop delay of the server process: max ${ms(loop.max / 1e6)} ms, p99 ${ms(loop.percentile(99) / 1e6)} ms, mean ${ms(loop.mean / 1e6)} ms. The clients run in a child process (bench/load-client.ts): they share the 2 cores, not the server's event loop.`,
          change
            ? `Blueprint change: stored in ${ms(change.ms)} ms, served by GraphQL ${ms(change.servedAfterMs)} ms after it started; slowest of the ${change.requestsDuring} requests meanwhile ${ms(change.maxLatencyDuringMs)} ms (target < 1000), server event-loop max ${ms(changeLoop.max / 1e6)} ms. Slowest meanwhile: ${change.slowestDuring.map((s) => `${s.kind} ${ms(s.ms)} ms (sent ${ms(s.startedAfterMs)} ms after the change)`).join(', ')}.`
            : 'Blueprint change: did not complete (see the errors).',
          cpuNote(
            all.count,
            serverCpuMs,
            neo4jCpuMs,
            report.cpuMs,
            report.seconds,
          ),
          `Mix by weight: entity reads 35, GraphQL lists with owner and dependencies 25, full-text search 20, impact (upstream, depth 3) 15, bulk upserts of 50 services 5. One keep-alive connection per client. Before either side is measured, the Plexus mix warms Neo4j and the server up in 15 s chunks, at least ${warmupSeconds} s and until three chunks in a row are none of them 5% faster than the best before them (at most ${warmupMaxSeconds} s; this run: ${warmup.map((t) => formatNumber(t, 0)).join(', ')} requests/s), then 10 s of the raw mix. \`BENCH_LOAD_SECONDS\`, \`BENCH_LOAD_CONCURRENCY\`, \`BENCH_LOAD_SERVICES\`, \`BENCH_LOAD_WARMUP_SECONDS\` and \`BENCH_LOAD_WARMUP_MAX_SECONDS\` change the run.`,
        ],
      };
    } finally {
      api.close();
      await plexus.close();
    }
  },
};

/**
 * CPU time per request of the server process (main thread and GraphQL workers), Neo4j and the
 * clients: unlike latencies it hardly depends on what else runs on the machine, so it compares
 * runs made on a busy machine, and 2 cores ÷ the sum bounds the throughput of an idle one.
 */
function cpuNote(
  requests: number,
  serverMs: number | null,
  neo4jMs: number | null,
  clientMs: number,
  seconds: number,
): string {
  const per = (v: number) => formatNumber(v / Math.max(1, requests), 2);
  const total = (serverMs ?? 0) + (neo4jMs ?? 0) + clientMs;
  const server =
    serverMs === null
      ? ''
      : `server ${per(serverMs)} ms (main thread and GraphQL workers; ${formatNumber(serverMs / seconds / 10, 0)}% of a core), `;
  return `CPU per request: ${server}Neo4j ${neo4jMs === null ? 'not measured (NEO4J_URI)' : `${per(neo4jMs)} ms (${formatNumber(neo4jMs / seconds / 10, 0)}% of a core)`}, load generator ${per(clientMs)} ms; 2 idle cores would serve at most ${formatNumber((2000 * Math.max(1, requests)) / Math.max(1, total), 0)} requests/s of this mix.`;
}

export default bench;
