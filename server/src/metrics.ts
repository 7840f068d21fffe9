import type { EventBus } from './catalog/events.ts';

/** Counters and histograms exposed at `/metrics` in the Prometheus text format. */
export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  render(gauges?: Record<string, number>): string;
}

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labels(l: Record<string, string | number>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`)
    .join(',')}}`;
}

/**
 * Creates the metrics registry; counts entity changes from the event bus and samples the
 * event loop's delay (a stalled loop delays every request: schema builds run in workers).
 */
export function createMetrics(events: EventBus): Metrics {
  // How late a 10 ms timer fires is how long the loop was blocked. (perf_hooks'
  // monitorEventLoopDelay on Node 20 missed a 300 ms block entirely in a test, so it is measured here.)
  let lags: number[] = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    if (lags.length < 20_000) lags.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  tick.unref();
  const requests = new Map<string, number>();
  const durations = new Map<string, { counts: number[]; sum: number; total: number }>();
  const changes = new Map<string, number>();
  events.on((evts) => {
    for (const e of evts) changes.set(e.type, (changes.get(e.type) ?? 0) + 1);
  });
  return {
    observeRequest(method, route, status, seconds) {
      const k = labels({ method, route, status });
      requests.set(k, (requests.get(k) ?? 0) + 1);
      const dk = labels({ method, route });
      let h = durations.get(dk);
      if (!h) {
        h = { counts: buckets.map(() => 0), sum: 0, total: 0 };
        durations.set(dk, h);
      }
      buckets.forEach((b, i) => {
        if (seconds <= b) h!.counts[i]++;
      });
      h.sum += seconds;
      h.total++;
    },
    render(gauges = {}) {
      const out: string[] = [];
      out.push('# HELP plexus_http_requests_total HTTP requests by method, route and status.', '# TYPE plexus_http_requests_total counter');
      for (const [k, v] of requests) out.push(`plexus_http_requests_total${k} ${v}`);
      out.push('# HELP plexus_http_request_duration_seconds HTTP request duration.', '# TYPE plexus_http_request_duration_seconds histogram');
      for (const [k, h] of durations) {
        const inner = k.slice(1, -1);
        buckets.forEach((b, i) => out.push(`plexus_http_request_duration_seconds_bucket{${inner},le="${b}"} ${h.counts[i]}`));
        out.push(`plexus_http_request_duration_seconds_bucket{${inner},le="+Inf"} ${h.total}`);
        out.push(`plexus_http_request_duration_seconds_sum${k} ${h.sum}`, `plexus_http_request_duration_seconds_count${k} ${h.total}`);
      }
      out.push('# HELP plexus_catalog_changes_total Change events emitted by the catalog, by type.', '# TYPE plexus_catalog_changes_total counter');
      for (const [type, v] of changes) out.push(`plexus_catalog_changes_total${labels({ type })} ${v}`);
      // Since the previous scrape (then reset): the worst and the 99th percentile delay.
      out.push(
        '# HELP plexus_event_loop_delay_max_seconds Longest event-loop delay since the previous scrape.',
        '# TYPE plexus_event_loop_delay_max_seconds gauge',
        `plexus_event_loop_delay_max_seconds ${Math.max(0, ...lags) / 1000}`,
        '# HELP plexus_event_loop_delay_p99_seconds 99th percentile event-loop delay since the previous scrape.',
        '# TYPE plexus_event_loop_delay_p99_seconds gauge',
        `plexus_event_loop_delay_p99_seconds ${lags.length > 0 ? [...lags].sort((a, b) => a - b)[Math.floor(lags.length * 0.99)] / 1000 : 0}`,
      );
      lags = [];
      for (const [name, v] of Object.entries(gauges)) out.push(`# TYPE ${name} gauge`, `${name} ${v}`);
      return `${out.join('\n')}\n`;
    },
  };
}
