import { randomBytes } from 'node:crypto';
import { startDemoExecutor } from '../examples/demo-executor/executor.ts';
import { demoActionDefinitions } from '../server/src/demo/actions/demo-actions.ts';
import { createClient } from './client.ts';
import type { Benchmark } from './harness.ts';
import { formatNumber, percentiles } from './harness.ts';

/**
 * Issue 16: `BENCH_ACTION_RUNS` (default 200) runs requested at once through the signed webhook
 * invoker, executed by the demo executor (in this process, no pause between its steps), each
 * reporting a status label, log lines and an entity write with `?runId=` before it ends.
 * Measured: runs/s from the first request to the last run's end, request → IN_PROGRESS (the
 * requester's view: the 201 answer), request → the executor's
 * first log line and request → end (server timestamps), and log lines the executor had
 * acknowledged that the runs' logs do not hold (must be 0).
 */
const runs = Number(process.env.BENCH_ACTION_RUNS ?? 200);
const action = 'toggle-feature-flag';

type Json = Record<string, any>;

async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

const bench: Benchmark = {
  name: 'actions',
  title: `${runs} concurrent action runs through the webhook invoker against the demo executor (issue 16)`,
  async run(ctx) {
    await ctx.resetDatabase();
    const plexus = await ctx.startPlexus({ egressAllow: ['127.0.0.1'] });
    const secret = randomBytes(32).toString('hex');
    const executor = await startDemoExecutor({
      port: 0,
      secret,
      apiToken: plexus.token,
      plexusUrl: plexus.url,
      stepDelayMs: 0,
      log: () => {},
    });
    const api = createClient(plexus.url, plexus.token);
    const rest = (method: string, path: string, body?: unknown) =>
      call(plexus.url, plexus.token, method, path, body);
    try {
      await api.post('/api/v1/packs/sdlc', {});
      const services = Array.from({ length: runs }, (_, i) => ({
        blueprint: 'service',
        identifier: `bench-svc-${i}`,
        properties: { language: 'go', lifecycle: 'production', tier: 2 },
        relations: {},
      }));
      await api.post('/api/v1/entities/bulk', { entities: services });
      const definition = demoActionDefinitions({ hookUrl: executor.hookUrl, secret }).find(
        (a) => a.identifier === action,
      )!;
      await rest('POST', '/api/v1/actions', definition);
      ctx.log(`actions: ${runs} services and the ${action} action ready; requesting ${runs} runs at once`);

      const t0 = Date.now();
      const requested = await Promise.all(
        services.map(async (s, i) => {
          const started = Date.now();
          const res = await rest('POST', `/api/v1/actions/${action}/runs`, {
            entity: `service:${s.identifier}`,
            inputs: { flag: 'dark-mode', enabled: i % 2 === 0 },
          });
          // The action needs no approval: the 201 answer is the run IN_PROGRESS (or already ended).
          return {
            id: res.json.id as string,
            started,
            inProgressMs: Date.now() - started,
            status: res.json.status as string,
          };
        }),
      );
      ctx.log(`actions: all ${runs} requested in ${Date.now() - t0} ms; waiting for the executor`);
      const deadline = Date.now() + Math.max(120_000, runs * 2_000);
      while (executor.stats.succeeded + executor.stats.failed < runs && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      await executor.idle();

      const ended: Json[] = [];
      let storedLines = 0;
      for (const r of requested) {
        // The run's end is written by the executor's last call; read until it shows.
        let run = (await rest('GET', `/api/v1/runs/${r.id}`)).json;
        while (!run.endedAt && Date.now() < deadline) {
          await new Promise((ok) => setTimeout(ok, 50));
          run = (await rest('GET', `/api/v1/runs/${r.id}`)).json;
        }
        ended.push(run);
        let after = 0;
        for (;;) {
          const page = (await rest('GET', `/api/v1/runs/${r.id}/logs?after=${after}&limit=500`)).json;
          storedLines += page.logs.length;
          if (page.next === null || page.next === undefined || page.logs.length === 0) break;
          after = page.next;
        }
      }
      const lastEnd = Math.max(...ended.map((r) => Date.parse(r.endedAt ?? r.updatedAt)));
      const seconds = (lastEnd - t0) / 1000;
      const succeeded = ended.filter((r) => r.status === 'SUCCESS').length;
      const affected = ended.filter((r) => (r.affectedEntities ?? []).length === 1).length;
      const toInProgress = percentiles(requested.map((r) => r.inProgressMs));
      const toFirstLog = percentiles(
        ended
          .map((run, i) => (run.logs?.[0] ? Date.parse(run.logs[0].at) - requested[i].started : Number.NaN))
          .filter((x) => Number.isFinite(x)),
      );
      const toEnd = percentiles(
        ended.map((run, i) => Date.parse(run.endedAt ?? run.updatedAt) - requested[i].started),
      );
      const lost = executor.stats.logLines - storedLines;
      const ms = (x: number) => formatNumber(x, 0);
      return {
        title: bench.title,
        table: {
          columns: ['measure', 'p50', 'p95', 'max'],
          rows: [
            ['request → IN_PROGRESS (ms)', ms(toInProgress.p50), ms(toInProgress.p95), ms(toInProgress.max)],
            [
              "request → executor's first log line (ms)",
              ms(toFirstLog.p50),
              ms(toFirstLog.p95),
              ms(toFirstLog.max),
            ],
            ['request → run ended (ms)', ms(toEnd.p50), ms(toEnd.p95), ms(toEnd.max)],
            ['runs/s (first request → last end)', formatNumber(runs / seconds, 1), '', ''],
            ['runs SUCCESS / with the entity affected', `${succeeded} / ${affected} of ${runs}`, '', ''],
            [
              'log lines acknowledged / stored / lost',
              `${executor.stats.logLines} / ${storedLines} / ${lost}`,
              '',
              '',
            ],
          ],
        },
        notes: [
          `${runs} POST /api/v1/actions/${action}/runs sent at once; each run is a signed webhook to the demo executor in this process, which verifies it, PATCHes a status label twice, posts 3 log lines, reads and upserts the service with ?runId= and its own token, and ends the run with terminationStatus.`,
          `IN_PROGRESS is the 201 answer timed by the requester (statuses in the answers: ${[...new Set(requested.map((r) => r.status))].join(', ')}); first log line and end are the server's timestamps minus the request time (same machine).`,
          ...[...new Set(ended.filter((r) => r.status !== 'SUCCESS').map((r) => `${r.status}: ${r.summary}`))]
            .slice(0, 3)
            .map((why) => `Not SUCCESS: ${why}`),
          `Lost log lines: lines the executor got a 2xx for minus lines in the runs' logs; must be 0${lost === 0 ? ' (it is)' : ` — it is ${lost}`}.`,
        ],
      };
    } finally {
      api.close();
      await executor.close();
      await plexus.close();
    }
  },
};

export default bench;
