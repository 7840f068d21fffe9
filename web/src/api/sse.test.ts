import { describe, expect, it } from 'vitest';
import { createSseParser, followStream, type SseMessage } from './sse.ts';

describe('createSseParser', () => {
  it('parses events split across chunks, with ids, names, multi-line data and comments', () => {
    const seen: SseMessage[] = [];
    const feed = createSseParser((m) => seen.push(m));
    feed(': keep-alive\n\nid: 1\nevent: log\ndata: {"a"');
    expect(seen).toEqual([]);
    feed(':1}\n\r');
    feed('\ndata: one\ndata: two\n\nid: 7\r\ndata:x\r\n\r\n');
    expect(seen).toEqual([
      { id: '1', event: 'log', data: '{"a":1}' },
      { id: undefined, event: 'message', data: 'one\ntwo' },
      { id: '7', event: 'message', data: 'x' },
    ]);
  });
});

/** A fetch answering each call with the next body, recording the Last-Event-ID it was sent. */
function scriptedFetch(bodies: string[], sent: (string | null)[]): typeof fetch {
  let call = 0;
  return (async (_url: RequestInfo | URL, init?: RequestInit) => {
    sent.push(((init?.headers ?? {}) as Record<string, string>)['last-event-id'] ?? null);
    const text = bodies[call++];
    if (text === undefined) return new Response('gone', { status: 404 });
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(text));
          c.close();
        },
      }),
      { headers: { 'content-type': 'text/event-stream' } },
    );
  }) as typeof fetch;
}

describe('followStream', () => {
  it('reconnects after a drop with the last event id and stops on a refusal', async () => {
    const sent: (string | null)[] = [];
    const got: string[] = [];
    const states: string[] = [];
    await followStream({
      url: '/api/v1/runs/r/events',
      token: () => 't',
      signal: new AbortController().signal,
      onMessage: (m) => got.push(m.data),
      onState: (s) => states.push(s),
      fetch: scriptedFetch(['id: 1\ndata: a\n\nid: 2\ndata: b\n\n', 'id: 3\ndata: c\n\n'], sent),
    });
    expect(got).toEqual(['a', 'b', 'c']);
    expect(sent).toEqual([null, '2', '3']);
    expect(states.at(-1)).toBe('closed');
  }, 20_000);

  it('stops when done() says the stream has nothing more to say', async () => {
    const sent: (string | null)[] = [];
    let finished = false;
    await followStream({
      url: '/x',
      token: () => null,
      signal: new AbortController().signal,
      onMessage: (m) => {
        if (m.data === 'end') finished = true;
      },
      done: () => finished,
      fetch: scriptedFetch(['data: end\n\n', 'data: never\n\n'], sent),
    });
    expect(sent).toEqual([null]);
  });
});
