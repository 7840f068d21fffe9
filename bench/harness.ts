/**
 * The benchmark contract and its pure helpers. A benchmark is `bench/<name>.bench.ts` with a
 * default export {@link Benchmark}; `bench/run.ts` finds it, gives it a {@link BenchContext}
 * (bench/context.ts) and writes its {@link BenchResult} into `bench/RESULTS.md`.
 * Nothing here starts a process or touches the network, so the unit tests import it freely.
 */
import type { Driver } from 'neo4j-driver';
import type { Services } from '../server/src/services.ts';

/** What a benchmark gets: a Neo4j of its own for the run, and a way to start Plexus on it. */
export interface BenchContext {
  /** Bolt URI of the Neo4j this run uses (NEO4J_URI, or the embedded one the harness started). */
  neo4jUri: string;
  /** Its credentials (and database, when not the default), for a driver in another process. */
  neo4jAuth: { user: string; password: string; database?: string };
  /** A raw driver for hand-written Cypher, set up like Plexus's own (same pool, plain numbers). */
  driver: Driver;
  /**
   * Starts a real Plexus HTTP server on 127.0.0.1 (a free port) against this Neo4j, with a
   * random admin token, the demo off and the rate limiter off. `services` is the same object the
   * server uses, for timing internals from outside.
   */
  startPlexus(options?: {
    /** Outbound destinations allowed although not public (`PLEXUS_EGRESS_ALLOW`), e.g. a local executor. */
    egressAllow?: string[];
    /** Serve the built web UI from this folder (web/dist), as `npm start` does. */
    webDist?: string;
  }): Promise<{ url: string; token: string; services: Services; close(): Promise<void> }>;
  /** Deletes every node and relationship (in batches) and drops the per-blueprint constraints. */
  resetDatabase(): Promise<void>;
  /** A progress line on stderr, stamped with the time since the run started. */
  log(msg: string): void;
  /** The pid of the embedded Neo4j JVM (undefined with NEO4J_URI): for its CPU time. */
  neo4jPid?(): number | undefined;
}

/** One benchmark's outcome: a table, and notes that say how to read it. */
export interface BenchResult {
  title: string;
  table: { columns: string[]; rows: (string | number)[][] };
  notes?: string[];
}

/** A benchmark, found by `bench/run.ts` as the default export of `bench/<name>.bench.ts`. */
export interface Benchmark {
  /** The file's `<name>`: what `npm run bench -- <name>` selects and RESULTS.md keys on. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** Summary of a list of durations (or any samples), in the samples' unit. */
export interface Percentiles {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles (no interpolation: every reported value is one that was measured).
 * @example percentiles([3, 1, 2]).p50 // 2
 */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0)
    return {
      n: 0,
      min: Number.NaN,
      mean: Number.NaN,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      max: Number.NaN,
    };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return {
    n: sorted.length,
    min: sorted[0],
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1],
  };
}

/** Resident set size of this process now, in bytes (Plexus runs in the benchmark's process). */
export function measureRss(): number {
  return process.memoryUsage.rss();
}

/** A running RSS sampler; see {@link sampleRss}. */
export interface RssSampler {
  /** Highest RSS seen so far, in bytes. */
  peak(): number;
  /** Stops sampling and returns the RSS at the start and the peak, in bytes. */
  stop(): { start: number; peak: number };
}

/**
 * Samples this process's RSS every `intervalMs` and keeps the peak. A timer cannot fire while
 * the event loop is busy, so a sample is also taken on `stop()`: allocations made during a long
 * synchronous stretch still show up afterwards.
 * @example const rss = sampleRss(); await load(); const { peak } = rss.stop();
 */
export function sampleRss(intervalMs = 50): RssSampler {
  const start = measureRss();
  let peak = start;
  const take = () => {
    const now = measureRss();
    if (now > peak) peak = now;
  };
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      take();
      return { start, peak };
    },
  };
}

/** Bytes as mebibytes, rounded, for tables. */
export function mib(bytes: number): number {
  return Math.round(bytes / 1024 ** 2);
}

/** Formats a number with thousands separators and at most `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function cell(value: string | number): string {
  // A pipe or newline would break the Markdown table.
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A Markdown table (GitHub flavour), readable as plain text on a terminal too: columns are
 * padded to their widest cell and numbers are right-aligned.
 * @example formatTable({ columns: ['a', 'b'], rows: [[1, 'x']] })
 */
export function formatTable(table: BenchResult['table']): string {
  const rows = table.rows.map((r) => table.columns.map((_, i) => cell(r[i] ?? '')));
  const head = table.columns.map(cell);
  const numeric = table.columns.map(
    (_, i) => table.rows.length > 0 && table.rows.every((r) => typeof r[i] === 'number'),
  );
  const width = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(width[i]) : s.padEnd(width[i]));
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${width.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** The RESULTS.md section of one benchmark run (without its markers). */
export function renderSection(
  name: string,
  result: BenchResult,
  run: { date: string; seconds: number; machine: string },
): string {
  const lines = [
    `## \`${name}\`: ${result.title}`,
    '',
    `Run ${run.date} on ${run.machine}; took ${formatNumber(run.seconds)} s.`,
    '',
    formatTable(result.table),
  ];
  if (result.notes && result.notes.length > 0) lines.push('', ...result.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

const headerStart = '<!-- bench:header:start -->';
const headerEnd = '<!-- bench:header:end -->';
const sectionStart = (name: string) => `<!-- bench:${name}:start -->`;
const sectionEnd = (name: string) => `<!-- bench:${name}:end -->`;

/** The top of RESULTS.md before any benchmark ran. */
export const emptyResults = `# Plexus benchmarks

Written by \`npm run bench\` (bench/run.ts); each section is replaced when its benchmark runs
again (\`npm run bench -- <name>\`). Do not edit by hand between the markers.

${headerStart}
${headerEnd}
`;

function replaceBetween(doc: string, start: string, end: string, body: string): string | null {
  const i = doc.indexOf(start);
  const j = doc.indexOf(end, i + start.length);
  if (i < 0 || j < 0) return null;
  return `${doc.slice(0, i + start.length)}\n${body.trim()}\n${doc.slice(j)}`;
}

/**
 * Replaces the machine header of RESULTS.md (the machine of the latest run; each section also
 * names the machine it ran on, since sections are re-run one at a time).
 */
export function replaceHeader(doc: string, header: string): string {
  const base =
    doc.includes(headerStart) && doc.includes(headerEnd) ? doc : `${emptyResults}\n${doc.trim()}\n`;
  return replaceBetween(base, headerStart, headerEnd, header)!;
}

/**
 * Puts one benchmark's section into RESULTS.md: replaces the section with the same name and
 * leaves every other one as it was; a new name is appended at the end.
 * @example replaceSection(readFileSync('bench/RESULTS.md', 'utf8'), 'ingest', renderSection(...))
 */
export function replaceSection(doc: string, name: string, section: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new Error(`benchmark name "${name}" must be kebab-case (it becomes a marker)`);
  const replaced = replaceBetween(doc, sectionStart(name), sectionEnd(name), section);
  if (replaced !== null) return replaced;
  return `${doc.trimEnd()}\n\n${sectionStart(name)}\n${section.trim()}\n${sectionEnd(name)}\n`;
}
