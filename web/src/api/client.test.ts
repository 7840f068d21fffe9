import { describe, expect, it } from 'vitest';
import { ApiError, makeApi, withSchemaRetry } from './client.ts';

function fakeFetch(
  answers: { status: number; body: unknown }[],
  seen: { url: string; init?: RequestInit }[] = [],
): typeof fetch {
  return (async (url: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(url), init });
    const a = answers.shift() ?? { status: 500, body: {} };
    return new Response(JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
}

describe('API client', () => {
  it('sends the bearer token and the ui origin, and parses JSON', async () => {
    const seen: { url: string; init?: RequestInit }[] = [];
    const api = makeApi({ token: () => 'plx_t', fetch: fakeFetch([{ status: 200, body: { ok: 1 } }], seen) });
    expect(await api.get('/api/v1/blueprints')).toEqual({ ok: 1 });
    expect(seen[0].init?.headers).toMatchObject({ authorization: 'Bearer plx_t', 'x-plexus-origin': 'ui' });
  });

  it('turns the API error shape into an ApiError with its details', async () => {
    const api = makeApi({
      token: () => 't',
      fetch: fakeFetch([
        {
          status: 422,
          body: {
            error: {
              code: 'validation_failed',
              message: 'bad',
              details: [{ path: '/identifier', message: 'no' }],
            },
          },
        },
      ]),
    });
    const err = await api.post('/api/v1/blueprints', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      code: 'validation_failed',
      message: 'Bad.',
      serverMessage: 'bad',
      details: [{ path: '/identifier', message: 'no' }],
    });
  });

  it('sends at most three heavy reads at once and queues the rest in order; other calls are not held', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const release: (() => void)[] = [];
    const slowFetch = (async (url: RequestInfo | URL) => {
      inFlight++;
      most = Math.max(most, inFlight);
      order.push(String(url));
      await new Promise<void>((go) => release.push(go));
      inFlight--;
      return new Response('{"data":{}}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const api = makeApi({ token: () => 't', fetch: slowFetch });
    const heavy = [
      api.graphql('{ a }'),
      api.post('/api/v1/search', {}),
      api.get('/api/v1/blueprints/service/entities/cart/impact?depth=2'),
      api.post('/api/v1/search/aggregate', {}),
      api.post('/api/v1/queries/q1/run', {}),
    ];
    const light = api.get('/api/v1/blueprints');
    await expect.poll(() => order.length).toBe(4);
    // Three heavy reads and the light one; the other two heavy reads wait.
    expect(order).toEqual(['/graphql', '/api/v1/search', '/api/v1/blueprints/service/entities/cart/impact?depth=2', '/api/v1/blueprints']);
    while (order.length < 6 || release.length > 0) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all([...heavy, light]);
    expect(order.slice(4)).toEqual(['/api/v1/search/aggregate', '/api/v1/queries/q1/run']);
    expect(most).toBe(4);
  });

  it('waits and retries when the server answers 429, then gives up after a few attempts', async () => {
    const busy = { status: 429, body: { error: { code: 'too_many_requests', message: 'busy' } } };
    const seen: { url: string; init?: RequestInit }[] = [];
    const api = makeApi({ token: () => 't', retryScale: 0.001, fetch: fakeFetch([busy, busy, { status: 200, body: { ok: 2 } }], seen) });
    expect(await api.get('/api/v1/search?q=x')).toEqual({ ok: 2 });
    expect(seen).toHaveLength(3);
    const always = makeApi({ token: () => 't', retryScale: 0.001, fetch: fakeFetch(Array.from({ length: 20 }, () => busy)) });
    await expect(always.get('/api/v1/search?q=x')).rejects.toMatchObject({ status: 429, code: 'too_many_requests' });
  });

  it('signs out on 401', async () => {
    let signedOut = false;
    const api = makeApi({
      token: () => 'old',
      onUnauthorized: () => (signedOut = true),
      fetch: fakeFetch([{ status: 401, body: { error: { code: 'unauthorized', message: 'expired' } } }]),
    });
    await expect(api.get('/api/v1/blueprints')).rejects.toThrow('Expired. Sign in again');
    expect(signedOut).toBe(true);
  });

  it('reports GraphQL validation errors (HTTP 400 from yoga) as schema lag', async () => {
    const api = makeApi({
      token: () => 't',
      fetch: fakeFetch([
        { status: 400, body: { errors: [{ message: 'Cannot query field "fooBars" on type "Query".' }] } },
      ]),
    });
    const err = (await api.graphql('{ fooBars { identifier } }').catch((e) => e)) as ApiError;
    expect(err.isSchemaLag).toBe(true);
  });

  it('retries while the schema lags and gives up on other errors at once', async () => {
    let calls = 0;
    const lag = new ApiError(200, 'graphql_validation', 'Cannot query field "x" on type "Query".');
    const value = await withSchemaRetry(async () => {
      calls++;
      if (calls < 3) throw lag;
      return 'ok';
    });
    expect([value, calls]).toEqual(['ok', 3]);
    calls = 0;
    await expect(
      withSchemaRetry(async () => {
        calls++;
        throw new ApiError(500, 'internal', 'boom');
      }),
    ).rejects.toMatchObject({ serverMessage: 'boom' });
    expect(calls).toBe(1);
  });
});
