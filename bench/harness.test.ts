import { describe, expect, it } from 'vitest';
import {
  emptyResults,
  formatTable,
  percentiles,
  renderSection,
  replaceHeader,
  replaceSection,
  sampleRss,
} from './harness.ts';

describe('percentiles', () => {
  it('reports measured values by nearest rank', () => {
    const p = percentiles([5, 1, 4, 2, 3]);
    expect(p).toMatchObject({ n: 5, min: 1, p50: 3, max: 5, mean: 3 });
  });

  it('puts p95 and p99 on the slow tail of 100 samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    const p = percentiles(samples);
    expect([p.p50, p.p95, p.p99]).toEqual([50, 95, 99]);
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    percentiles(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('answers NaN for no samples rather than throwing', () => {
    expect(percentiles([]).p50).toBeNaN();
  });
});

describe('formatTable', () => {
  it('writes a Markdown table with numeric columns right-aligned', () => {
    const text = formatTable({
      columns: ['run', 'ms'],
      rows: [
        ['api', 12],
        ['raw', 3],
      ],
    });
    expect(text.split('\n')).toEqual(['| run |  ms |', '| --- | --: |', '| api |  12 |', '| raw |   3 |']);
  });

  it('escapes pipes and newlines that would break the table', () => {
    expect(formatTable({ columns: ['a'], rows: [['x|y\nz']] })).toContain('x\\|y z');
  });
});

describe('RESULTS.md sections', () => {
  const section = (name: string, value: string) =>
    renderSection(
      name,
      { title: `${name} title`, table: { columns: ['v'], rows: [[value]] }, notes: ['a note'] },
      { date: '2025-01-01', seconds: 1, machine: 'test box' },
    );

  it('appends a benchmark that has no section yet', () => {
    const doc = replaceSection(emptyResults, 'ingest', section('ingest', 'first'));
    expect(doc).toContain('<!-- bench:ingest:start -->\n## `ingest`: ingest title');
    expect(doc).toContain('- a note\n<!-- bench:ingest:end -->');
  });

  it('replaces only the section of the benchmark that ran again', () => {
    let doc = replaceSection(emptyResults, 'graphql', section('graphql', 'first'));
    doc = replaceSection(doc, 'ingest', section('ingest', 'second'));
    const again = replaceSection(doc, 'graphql', section('graphql', 'third'));
    expect(again).toContain('| third |');
    expect(again).not.toContain('first');
    expect(again.slice(again.indexOf('<!-- bench:ingest:start -->'))).toBe(
      doc.slice(doc.indexOf('<!-- bench:ingest:start -->')),
    );
    expect(again.indexOf('bench:graphql:start')).toBeLessThan(again.indexOf('bench:ingest:start'));
  });

  it('rewrites the machine header and keeps the sections', () => {
    const doc = replaceSection(
      replaceHeader(emptyResults, 'old machine'),
      'ingest',
      section('ingest', 'first'),
    );
    const next = replaceHeader(doc, 'new machine');
    expect(next).toContain('new machine');
    expect(next).not.toContain('old machine');
    expect(next).toContain('<!-- bench:ingest:start -->');
  });

  it('adds the header markers to a file written without them', () => {
    const next = replaceHeader('# Old results\n', 'machine');
    expect(next).toContain('<!-- bench:header:start -->\nmachine\n<!-- bench:header:end -->');
    expect(next).toContain('# Old results');
  });

  it('refuses a name that cannot be a marker', () => {
    expect(() => replaceSection(emptyResults, 'two words', 'x')).toThrow(/kebab-case/);
  });
});

describe('sampleRss', () => {
  it('reports a peak at least as high as the start', () => {
    const rss = sampleRss(5);
    const { start, peak } = rss.stop();
    expect(start).toBeGreaterThan(0);
    expect(peak).toBeGreaterThanOrEqual(start);
  });
});
