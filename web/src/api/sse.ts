/**
 * Server-Sent Events over fetch(). The UI authenticates with a bearer header, which EventSource
 * cannot send, so streams are read with fetch() and parsed here; a dropped stream reconnects
 * with `Last-Event-ID` so nothing is missed or repeated.
 */

/** One event of a text/event-stream. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Incremental parser of the text/event-stream format (HTML spec "Server-sent events"): feed it
 * chunks as they arrive, it calls `onMessage` per complete event. Comments (`:`) are ignored.
 */
export function createSseParser(onMessage: (m: SseMessage) => void): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  const dispatch = () => {
    if (data.length > 0) onMessage({ id, event: event || 'message', data: data.join('\n') });
    data = [];
    event = '';
    id = undefined;
  };
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) break;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      if (line === '') {
        dispatch();
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}

/**
 * Follows an event stream until `signal` aborts or `done()` says so, reconnecting after drops
 * (with the last event id seen) with a growing pause. `onState` reports `live` / `reconnecting`.
 */
export async function followStream(options: {
  url: string;
  token: () => string | null;
  signal: AbortSignal;
  lastEventId?: string;
  onMessage: (m: SseMessage) => void;
  onState?: (state: 'connecting' | 'live' | 'reconnecting' | 'closed', error?: string) => void;
  /** Stop instead of reconnecting (e.g. the run ended). */
  done?: () => boolean;
  fetch?: typeof fetch;
}): Promise<void> {
  const doFetch = options.fetch ?? ((i: RequestInfo | URL, init?: RequestInit) => fetch(i, init));
  let lastId = options.lastEventId;
  let pause = 500;
  options.onState?.('connecting');
  while (!options.signal.aborted) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', 'x-plexus-origin': 'ui' };
      const token = options.token();
      if (token) headers.authorization = `Bearer ${token}`;
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const res = await doFetch(options.url, { headers, signal: options.signal, cache: 'no-store' });
      if (!res.ok || !res.body) {
        // 4xx other than 429: reconnecting cannot help (gone, forbidden, signed out).
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          options.onState?.('closed', `the server refused the stream (HTTP ${res.status})`);
          await res.body?.cancel();
          return;
        }
        throw new Error(`HTTP ${res.status}`);
      }
      options.onState?.('live');
      pause = 500;
      const parse = createSseParser((m) => {
        if (m.id !== undefined) lastId = m.id;
        options.onMessage(m);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parse(value);
      }
    } catch (err) {
      if (options.signal.aborted) break;
      options.onState?.('reconnecting', (err as Error).message);
    }
    if (options.signal.aborted || options.done?.()) break;
    options.onState?.('reconnecting');
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 10_000);
  }
  options.onState?.('closed');
}
