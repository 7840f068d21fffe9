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

/** Creates the metrics registry; counts entity changes from the event bus. */
export function createMetrics(events: EventBus): Metrics {
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
      for (const [name, v] of Object.entries(gauges)) out.push(`# TYPE ${name} gauge`, `${name} ${v}`);
      return `${out.join('\n')}\n`;
    },
  };
}
