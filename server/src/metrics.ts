import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from './catalog/events.ts';

/** Counters and histograms exposed at `/metrics` in the Prometheus text format (prom-client). */
export interface Metrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** The exposition text; `gauges` are values read at scrape time (model version, workers...). */
  render(gauges?: Record<string, number>): Promise<string>;
  /** The content type of `render`'s text. */
  contentType: string;
}

/**
 * Creates the metrics registry (one per app: tests run several in one process): HTTP requests
 * and their durations, entity changes from the event bus, the event loop's delay since the
 * previous scrape, and prom-client's default process metrics (CPU, memory, heap, GC, handles)
 * under the `plexus_` prefix.
 */
export function createMetrics(events: EventBus): Metrics {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'plexus_' });
  const requests = new Counter({
    name: 'plexus_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [register],
  });
  const durations = new Histogram({
    name: 'plexus_http_request_duration_seconds',
    help: 'HTTP request duration.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });
  const changes = new Counter({
    name: 'plexus_catalog_changes_total',
    help: 'Change events emitted by the catalog, by type.',
    labelNames: ['type'] as const,
    registers: [register],
  });
  events.on((evts) => {
    for (const e of evts) changes.inc({ type: e.type });
  });

  // How late a 10 ms timer fires is how long the loop was blocked, since the previous scrape.
  // Kept by hand: prom-client's event-loop metrics come from perf_hooks' monitorEventLoopDelay,
  // which on Node 20 missed a 300 ms block entirely in a test (app.int.test.ts), and they never
  // reset, so they cannot say what happened since the last scrape.
  let lags: number[] = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    if (lags.length < 20_000) lags.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  tick.unref();
  const lagMax = new Gauge({
    name: 'plexus_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape.',
    registers: [register],
  });
  const lagP99 = new Gauge({
    name: 'plexus_event_loop_delay_p99_seconds',
    help: '99th percentile event-loop delay since the previous scrape.',
    registers: [register],
  });
  const atScrape = new Map<string, Gauge>();

  return {
    contentType: register.contentType,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status });
      durations.observe({ method, route }, seconds);
    },
    async render(gauges = {}) {
      const sorted = [...lags].sort((a, b) => a - b);
      lagMax.set((sorted.at(-1) ?? 0) / 1000);
      lagP99.set(sorted.length > 0 ? sorted[Math.floor(sorted.length * 0.99)] / 1000 : 0);
      lags = [];
      for (const [name, value] of Object.entries(gauges)) {
        let gauge = atScrape.get(name);
        if (!gauge) {
          gauge = new Gauge({ name, help: name.replace(/^plexus_/, '').replaceAll('_', ' '), registers: [register] });
          atScrape.set(name, gauge);
        }
        gauge.set(value);
      }
      return register.metrics();
    },
  };
}
