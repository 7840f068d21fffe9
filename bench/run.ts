/**
 * `npm run bench [-- name ...]`: runs every `bench/<name>.bench.ts` (or the named ones, in the
 * order given), prints each table on stdout, progress on stderr, and rewrites the sections of
 * the benchmarks that ran in `bench/RESULTS.md` (the others stay as they were).
 * Neo4j: NEO4J_URI when set (its data is deleted!), else an embedded one in a temporary dir.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeMachine, type MachineInfo, type OpenContext, openContext } from './context.ts';
import {
  type Benchmark,
  emptyResults,
  formatNumber,
  formatTable,
  renderSection,
  replaceHeader,
  replaceSection,
} from './harness.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(benchDir, 'RESULTS.md');
const started = performance.now();

function log(msg: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`[bench +${s}s] ${msg}\n`);
}

async function discover(): Promise<Benchmark[]> {
  const files = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const out: Benchmark[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { default?: Benchmark };
    const b = mod.default;
    const expected = file.replace(/\.bench\.ts$/, '');
    if (!b || typeof b.run !== 'function' || typeof b.title !== 'string')
      throw new Error(`${file} must default-export a Benchmark ({ name, title, run })`);
    // RESULTS.md sections and the command line use the name; it must match the file.
    if (b.name !== expected)
      throw new Error(`${file} exports a benchmark named "${b.name}"; name it "${expected}"`);
    out.push(b);
  }
  return out;
}

/** The 1, 5 and 15 minute load averages. */
function loadNow(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join('/');
}

function machineLine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.neo4j}`;
}

function header(m: MachineInfo): string {
  return [
    '## Machine of the latest run',
    '',
    `- CPU: ${m.cpu} (${m.cores} cores)`,
    `- RAM: ${m.ramGiB} GiB`,
    `- OS: ${m.os}`,
    `- Node: ${m.node}`,
    `- Java: ${m.java}`,
    `- Neo4j: ${m.neo4j}`,
    `- Date: ${new Date().toISOString()}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const all = await discover();
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const byName = new Map(all.map((b) => [b.name, b]));
  const unknown = wanted.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(', ')}; available: ${all.map((b) => b.name).join(', ')}\n`,
    );
    return 2;
  }
  const selected = wanted.length > 0 ? wanted.map((n) => byName.get(n)!) : all;
  log(`benchmarks: ${selected.map((b) => b.name).join(', ')}`);

  let ctx: OpenContext | null = null;
  const stop = async (signal: string) => {
    log(`${signal}: stopping`);
    await ctx?.close().catch(() => {});
    process.exit(130);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  ctx = await openContext({ log });
  let failed = 0;
  try {
    const machine = await describeMachine(ctx);
    log(`machine: ${machineLine(machine)}`);
    for (const bench of selected) {
      log(`${bench.name}: start (${bench.title})`);
      const t0 = performance.now();
      const loadStart = loadNow();
      // Long benchmarks may be quiet for a while (one big query); say they are still alive.
      const heartbeat = setInterval(() => log(`${bench.name}: still running`), 60_000);
      heartbeat.unref();
      try {
        const result = await bench.run(ctx);
        const seconds = (performance.now() - t0) / 1000;
        process.stdout.write(`\n## ${bench.name}: ${result.title}\n\n${formatTable(result.table)}\n`);
        for (const note of result.notes ?? []) process.stdout.write(`- ${note}\n`);
        process.stdout.write('\n');
        // Written after each benchmark, so a later failure keeps what already ran.
        const doc = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : emptyResults;
        // The machine is shared: the load around a run says how much to trust it.
        const load = `load average ${loadStart} at start, ${loadNow()} at end`;
        const section = renderSection(bench.name, result, {
          date: new Date().toISOString().slice(0, 10),
          seconds,
          machine: `${machineLine(machine)}; ${load}`,
        });
        writeFileSync(resultsFile, replaceSection(replaceHeader(doc, header(machine)), bench.name, section));
        log(`${bench.name}: done in ${formatNumber(seconds, 1)} s; bench/RESULTS.md updated`);
      } catch (err) {
        failed++;
        log(`${bench.name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      } finally {
        clearInterval(heartbeat);
      }
    }
  } finally {
    await ctx.close();
  }
  log(failed > 0 ? `${failed} benchmark(s) failed` : 'all benchmarks done');
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
