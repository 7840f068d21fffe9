import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus } from './test-support.ts';

let px: TestPlexus;
beforeAll(async () => {
  px = await startTestPlexus();
});
afterAll(async () => {
  await px?.close();
});

describe('operations endpoints', () => {
  it('answers /healthz without a token', async () => {
    const r = await px.call('GET', '/healthz', undefined, { token: null });
    expect(r).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('reports readiness with the Neo4j and GraphQL checks', async () => {
    await px.services.schemas.ready();
    const r = await px.call('GET', '/readyz', undefined, { token: null });
    expect(r.status).toBe(200);
    expect(r.body.checks.neo4j).toBe('ok');
    expect(r.body.checks.graphql).toMatch(/^ok/);
  });

  it('exposes Prometheus metrics with bounded route labels', async () => {
    await px.call('GET', '/api/v1/blueprints/some-blueprint-that-is-not-there');
    const r = await px.call('GET', '/metrics', undefined, { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    expect(r.body).toMatch(/plexus_http_requests_total\{method="GET",route="\/api\/v1\/blueprints\/:blueprint",status="404"\} \d+/);
    expect(r.body).not.toContain('some-blueprint-that-is-not-there');
  });

  it('exports the event-loop delay since the previous scrape', async () => {
    await px.call('GET', '/metrics', undefined, { token: null });
    // Block the loop on purpose: the next scrape reports at least that delay.
    const until = performance.now() + 300;
    while (performance.now() < until);
    await new Promise((ok) => setTimeout(ok, 30));
    const r = await px.call('GET', '/metrics', undefined, { token: null });
    const max = Number(/^plexus_event_loop_delay_max_seconds (\S+)$/m.exec(r.body)?.[1]);
    expect(max).toBeGreaterThanOrEqual(0.25);
    expect(r.body).toMatch(/^plexus_event_loop_delay_p99_seconds \d/m);
    expect(r.body).toMatch(/^plexus_graphql_workers \d/m);
  });

  it('exports the process metrics (CPU, memory, heap) and a request histogram', async () => {
    const r = await px.call('GET', '/metrics', undefined, { token: null });
    expect(r.body).toMatch(/^plexus_process_cpu_seconds_total \d/m);
    expect(r.body).toMatch(/^plexus_process_resident_memory_bytes \d/m);
    expect(r.body).toMatch(/^plexus_nodejs_heap_size_used_bytes \d/m);
    expect(r.body).toMatch(/^plexus_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/metrics"\} \d+/m);
    expect(r.body).toMatch(/^plexus_model_version \d/m);
  });

  it('publishes the OpenAPI contract and a docs page', async () => {
    const doc = await px.call('GET', '/api/v1/openapi.json', undefined, { token: null });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/blueprints', '/api/v1/entities/bulk', '/api/v1/search']));
    const page = await px.call('GET', '/docs', undefined, { token: null });
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('/api/v1/openapi.json');
  });

  it('documents every REST route it serves', async () => {
    const doc = await px.call('GET', '/api/v1/openapi.json', undefined, { token: null });
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const served = px.app.routes
      .filter((r) => r.path.startsWith('/api/v1/') && !r.path.includes('*') && r.method !== 'ALL' && r.path !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(40);
    expect(served.filter((r) => !documented.has(r))).toEqual([]);
  });

  it('keeps everything else under /api behind a token', async () => {
    for (const path of ['/api/v1/blueprints', '/api/v1/tokens', '/api/v1/search?q=x']) {
      const r = await px.call('GET', path, undefined, { token: null });
      expect(r.status, path).toBe(401);
    }
  });

  it('sends security headers', async () => {
    const r = await px.call('GET', '/healthz', undefined, { token: null });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(r.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBeNull();
    const data = await px.call('GET', '/api/v1/blueprints');
    expect(data.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(data.headers.get('cache-control')).toBe('no-store');
  });

  it('answers unknown routes with the error shape', async () => {
    const r = await px.call('GET', '/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});
