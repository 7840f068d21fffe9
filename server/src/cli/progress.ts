/** One line of sync progress: a bar when the size is known (the previous run's), counts and rate. */
export function renderProgress(
  run: {
    status: string;
    records: number;
    created: number;
    updated: number;
    deleted: number;
    errors: number;
    rate: number;
  },
  total: number | null,
  width = 24,
): string {
  const done = run.status !== 'running';
  let bar: string;
  if (total && total > 0) {
    const share = done ? 1 : Math.min(0.99, run.records / total);
    const filled = Math.round(share * width);
    bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
  } else {
    // Unknown size (first run): a bar that fills when the run ends.
    bar = `[${(done ? '#' : '.').repeat(width)}]`;
  }
  return `${bar} ${run.records} records, ${run.created} created, ${run.updated} updated, ${run.deleted} deleted, ${run.errors} errors, ${run.rate}/s ${done ? run.status : ''}`.trimEnd();
}
