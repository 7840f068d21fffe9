import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from './contract.ts';
import { type FakeResponse, type FakeServer, startFakeServer } from './fake-server.ts';
import { createHttpClient, HttpError, parseLinkHeader, rateLimitWaitMs } from './http-client.ts';

/** A clock whose sleeps return at once and are recorded: backoff and rate limits without waiting. */
function fakeClock(start = 1_700_000_000_000) {
  const sleeps: number[] = [];
  let now = start;
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps };
}

describe('http client', () => {
  let server: FakeServer;
  const attempts = new Map<string, number>();
  const items = Array.from({ length: 5 }, (_, i) => ({ id: i + 1 }));

  beforeAll(async () => {
    server = await startFakeServer((req): FakeResponse => {
      const n = (attempts.get(req.path) ?? 0) + 1;
      attempts.set(req.path, n);
      const q = req.query;
      switch (req.path) {
        case '/api/v3/link': {
          const page = Number(q.get('page') ?? 1);
          const link =
            page < 3
              ? {
                  link: `<${server.url}/api/v3/link?page=${page + 1}&per_page=2>; rel="next", <${server.url}/api/v3/link?page=3>; rel="last"`,
                }
              : undefined;
          return { headers: link, body: items.slice((page - 1) * 2, page * 2) };
        }
        case '/api/v3/cursor': {
          const at = Number(q.get('after') ?? 0);
          return {
            body: {
              data: items.slice(at, at + 2),
              meta: { next: at + 2 < items.length ? String(at + 2) : null },
            },
          };
        }
        case '/api/v3/pages':
          return { body: { results: items.slice((Number(q.get('p')) - 1) * 2, Number(q.get('p')) * 2) } };
        case '/api/v3/offset': {
          const offset = Number(q.get('offset'));
          return {
            body: {
              incidents: items.slice(offset, offset + Number(q.get('limit'))),
              more: offset + 2 < items.length,
            },
          };
        }
        case '/api/v3/flaky':
          return n < 3 ? { status: 503, body: 'busy' } : { body: { ok: true } };
        case '/api/v3/retry-after':
          return n === 1
            ? { status: 429, headers: { 'retry-after': '7' }, body: {} }
            : { body: { ok: true } };
        case '/api/v3/reset':
          return n === 1
            ? {
                status: 403,
                headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(1_700_000_000 + 30) },
                body: { message: 'API rate limit exceeded' },
              }
            : { body: { ok: true } };
        case '/api/v3/missing':
          return { status: 404, body: { message: 'Not Found' } };
        default:
          return { status: 500, body: 'unexpected' };
      }
    });
  });
  afterAll(() => server.close());

  const client = (clock: Clock) =>
    createHttpClient({ baseUrl: `${server.url}/api/v3/`, headers: { authorization: 'token t' } }, { clock });

  it('follows Link headers from a base URL (GitHub Enterprise style)', async () => {
    const { clock } = fakeClock();
    const got = [];
    for await (const item of client(clock).items('/link', { strategy: 'link', query: { per_page: 2 } }))
      got.push(item);
    expect(got).toEqual(items);
    expect(
      server.requests
        .filter((r) => r.path === '/api/v3/link')
        .every((r) => r.headers.authorization === 'token t'),
    ).toBe(true);
  });

  it('follows cursors, page numbers and offsets', async () => {
    const { clock } = fakeClock();
    const c = client(clock);
    const collect = async (it: AsyncIterable<unknown>) => {
      const out = [];
      for await (const x of it) out.push(x);
      return out;
    };
    expect(
      await collect(
        c.items('/cursor', {
          strategy: 'cursor',
          items: 'data',
          nextCursor: 'meta.next',
          cursorParam: 'after',
        }),
      ),
    ).toEqual(items);
    expect(
      await collect(
        c.items('/pages', {
          strategy: 'page',
          items: 'results',
          pageParam: 'p',
          pageSize: 2,
          pageSizeParam: 'size',
        }),
      ),
    ).toEqual(items);
    expect(
      await collect(
        c.items('/offset', { strategy: 'offset', items: 'incidents', limit: 2, hasMore: 'more' }),
      ),
    ).toEqual(items);
  });

  it('retries 5xx with exponential backoff', async () => {
    const { clock, sleeps } = fakeClock();
    expect(await client(clock).get('/flaky')).toEqual({ ok: true });
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it('waits as long as Retry-After says', async () => {
    const { clock, sleeps } = fakeClock();
    expect(await client(clock).get('/retry-after')).toEqual({ ok: true });
    expect(sleeps).toEqual([7050]);
  });

  it('waits until X-RateLimit-Reset when the quota is used up', async () => {
    const { clock, sleeps } = fakeClock();
    expect(await client(clock).get('/reset')).toEqual({ ok: true });
    expect(sleeps).toEqual([30_050]);
  });

  it('gives up on a client error at once, with the status and URL', async () => {
    const { clock, sleeps } = fakeClock();
    const err = (await client(clock)
      .get('/missing')
      .catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(404);
    expect(err.message).toContain('/api/v3/missing');
    expect(err.message).not.toContain('token t');
    expect(sleeps).toEqual([]);
  });

  it('parses Link headers and rate-limit headers', () => {
    expect(parseLinkHeader('<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"')).toEqual({
      next: 'https://x/a?page=2',
      last: 'https://x/a?page=9',
    });
    expect(
      rateLimitWaitMs(
        { status: 429, headers: new Headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }) },
        Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'),
      ),
    ).toBe(10_000);
    expect(rateLimitWaitMs({ status: 429, headers: new Headers({ 'ratelimit-reset': '12' }) }, 0)).toBe(
      12_000,
    );
    expect(
      rateLimitWaitMs(
        { status: 403, headers: new Headers({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '1' }) },
        0,
      ),
    ).toBeNull();
  });
});
