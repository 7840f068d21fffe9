import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from './test-support.ts';

// Request bodies (issue 14, item 5): authorised before they are read, NDJSON split in linear
// time with a line limit, structural JSON limits, content types, UTF-8 and reserved keys.
let px: TestPlexus;
let blueprint: string;
let viewer: string;

const chunk = 64 * 1024;

/**
 * A body generated lazily, one 64 KiB chunk per pull, that counts what the server pulled: the
 * measure of how much it read.
 */
function countingBody(
  total: number,
  fill: (offset: number) => Uint8Array,
): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) return controller.close();
        const bytes = fill(sent).subarray(0, Math.min(chunk, total - sent));
        sent += bytes.byteLength;
        controller.enqueue(bytes);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => sent };
}

const send = (path: string, body: BodyInit, headers: Record<string, string>, token = px.adminToken) =>
  px.app.request(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
    duplex: 'half',
  } as RequestInit);

const entityCount = async () =>
  (await px.call('GET', `/api/v1/blueprints/${blueprint}/entities?limit=1000`)).body.entities.length;

beforeAll(async () => {
  px = await startTestPlexus();
  blueprint = uniqueId('body');
  const created = await px.call('POST', '/api/v1/blueprints', {
    identifier: blueprint,
    title: 'Body',
    schema: { properties: { note: { type: 'string' } } },
    relations: { dependsOn: { target: blueprint, many: true } },
  });
  expect(created.status).toBe(201);
  viewer = (await px.call('POST', '/api/v1/tokens', { name: uniqueId('viewer'), role: 'viewer' })).body.token;
});
afterAll(async () => {
  await px?.close();
});

describe('authorisation before the body', () => {
  it("answers a viewer's 30 MB bulk write 403 without reading it", async () => {
    const body = countingBody(30 * 1024 ** 2, () => new Uint8Array(chunk).fill(0x20));
    const res = await send(
      '/api/v1/entities/bulk',
      body.stream,
      { 'content-type': 'application/x-ndjson' },
      viewer,
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/viewer/);
    expect(body.pulled()).toBeLessThanOrEqual(2 * chunk);
  });

  it("answers a viewer's 30 MB single-entity write 403 without reading it", async () => {
    const body = countingBody(30 * 1024 ** 2, () => new Uint8Array(chunk).fill(0x20));
    const res = await send(
      `/api/v1/blueprints/${blueprint}/entities`,
      body.stream,
      { 'content-type': 'application/json' },
      viewer,
    );
    expect(res.status).toBe(403);
    expect(body.pulled()).toBeLessThanOrEqual(2 * chunk);
  });
});

describe('NDJSON', () => {
  it('refuses a 100 MB single line with 413 naming the line and the limit, having read little more than the limit', async () => {
    // One line: `{"identifier":"` then 100 MB of "a", never a newline.
    const lineLimit = 4 * 1024 ** 2;
    const head = new TextEncoder().encode('{"identifier":"');
    const body = countingBody(100 * 1024 ** 2, (offset) => {
      const bytes = new Uint8Array(chunk).fill(0x61);
      if (offset === 0) bytes.set(head);
      return bytes;
    });
    const started = performance.now();
    const res = await send('/api/v1/entities/bulk', body.stream, { 'content-type': 'application/x-ndjson' });
    const ms = performance.now() - started;
    expect(res.status).toBe(413);
    const error = ((await res.json()) as { error: { message: string } }).error;
    expect(error.message).toMatch(/line 1 .*longer than 4194304 bytes/);
    // Stopped at the limit: a few chunks past it at most, never the 100 MB.
    expect(body.pulled()).toBeLessThan(lineLimit + 4 * chunk);
    // Generous for a loaded machine; the quadratic reader took minutes here.
    expect(ms).toBeLessThan(5_000);
  }, 30_000);

  it('splits lines across chunk boundaries, multi-byte characters included', async () => {
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        blueprint,
        identifier: `${blueprint}-nd-${i}`,
        properties: { note: `ünïcødé ✓ ${'x'.repeat(i * 7)}` },
      }),
    );
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    // Odd-sized chunks so newlines and multi-byte sequences fall on chunk edges.
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 997));
        at += 997;
      },
    });
    const res = await send('/api/v1/entities/bulk', stream, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ upserted: 300 });
    const one = await px.call('GET', `/api/v1/blueprints/${blueprint}/entities/${blueprint}-nd-5`);
    expect(one.body.properties.note).toBe(`ünïcødé ✓ ${'x'.repeat(35)}`);
  });

  it('refuses invalid UTF-8 in a line with 400 and writes nothing', async () => {
    const before = await entityCount();
    const good = new TextEncoder().encode(`${JSON.stringify({ blueprint, identifier: uniqueId('utf') })}\n`);
    const bad = new Uint8Array([
      ...new TextEncoder().encode(`{"blueprint":"${blueprint}","identifier":"bad-`),
      0xc3,
      0x28,
      ...new TextEncoder().encode('"}\n'),
    ]);
    const res = await send('/api/v1/entities/bulk', new Blob([good, bad]), {
      'content-type': 'application/x-ndjson',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /line 2 .*not valid UTF-8/,
    );
    expect(await entityCount()).toBe(before);
  });
});

describe('JSON structure', () => {
  it('refuses a 100k-deep document with 413, not 500', async () => {
    const deep = `{"entities":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await px.call('POST', '/api/v1/entities/bulk', deep);
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/deeper than 64 levels/);
  });

  it('refuses a million-element array with 413, not 500', async () => {
    const r = await px.call(
      'POST',
      '/api/v1/entities/bulk',
      `{"entities":[${new Array(1_000_000).fill('1').join(',')}]}`,
    );
    expect(r.status).toBe(413);
    expect(r.body.error.message).toMatch(/array longer than 100000/);
  });

  it('refuses 5,000-deep search rules with a clear 4xx, not 500', async () => {
    // Built as text: JSON.stringify itself would overflow the stack on 10,000 levels.
    const leaf = JSON.stringify({ property: 'identifier', operator: '=', value: 'x' });
    const rules = `${'{"rules":['.repeat(5000)}${leaf}${']}'.repeat(5000)}`;
    const r = await px.call(
      'POST',
      '/api/v1/search',
      `{"blueprint":${JSON.stringify(blueprint)},"rules":[${rules}]}`,
    );
    expect(r.status).toBe(413);
    // Within the JSON depth, the rules' own nesting limit answers.
    let shallow: unknown = { property: 'identifier', operator: '=', value: 'x' };
    for (let i = 0; i < 20; i++) shallow = { rules: [shallow] };
    const s = await px.call('POST', '/api/v1/search', { blueprint, rules: [shallow] });
    expect(s.status).toBe(422);
    expect(JSON.stringify(s.body.error.details)).toMatch(/nest at most 8 levels/);
  });

  it('refuses __proto__, constructor and prototype keys with 422 naming their paths, writing nothing', async () => {
    const before = await entityCount();
    const id = uniqueId('proto');
    const r = await px.call(
      'POST',
      `/api/v1/blueprints/${blueprint}/entities`,
      `{"identifier":"${id}","relations":{"__proto__":["x"]},"properties":{"note":"n","constructor":1}}`,
    );
    expect(r.status).toBe(422);
    expect(r.body.error.message).toContain('/relations/__proto__');
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      '/relations/__proto__',
      '/properties/constructor',
    ]);
    const bulk = await px.call('POST', '/api/v1/entities/bulk', {
      entities: [{ blueprint, identifier: id, properties: { prototype: 'p' } }],
    });
    expect(bulk.status).toBe(422);
    expect(bulk.body.error.details[0].path).toBe('/entities/0/properties/prototype');
    expect(await entityCount()).toBe(before);
  });
});

describe('content types and encodings', () => {
  it('answers 415 to text/plain, form and missing content types on JSON routes', async () => {
    const body = JSON.stringify({ blueprint, identifier: uniqueId('ct') });
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await send(`/api/v1/blueprints/${blueprint}/entities`, body, { 'content-type': type });
      expect(r.status, type).toBe(415);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    }
    const none = await px.app.request(`/api/v1/blueprints/${blueprint}/entities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${px.adminToken}` },
      body: new Blob([body]),
    });
    expect(none.status).toBe(415);
    const ndjsonOnJson = await send('/api/v1/search', body, { 'content-type': 'application/x-ndjson' });
    expect(ndjsonOnJson.status).toBe(415);
    const latin1 = await send(`/api/v1/blueprints/${blueprint}/entities`, body, {
      'content-type': 'application/json; charset=iso-8859-1',
    });
    expect(latin1.status).toBe(415);
    const ok = await send(`/api/v1/blueprints/${blueprint}/entities`, body, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(201);
  });

  it('answers 415 to GraphQL sent as text or a form, and runs it sent as JSON', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    expect((await send('/graphql', query, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(
      (
        await send('/graphql', 'query=%7B__typename%7D', {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(415);
    const json = await send('/graphql', query, { 'content-type': 'application/json' });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
    const deep = await send(
      '/graphql',
      JSON.stringify({
        query: '{ __typename }',
        variables: { x: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) },
      }),
      { 'content-type': 'application/json' },
    );
    expect(deep.status).toBe(413);
  });

  it('refuses invalid UTF-8 in a JSON body with 400 instead of storing U+FFFD', async () => {
    const id = uniqueId('utf');
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(`{"identifier":"${id}","properties":{"note":"a`),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}}'),
    ]);
    const r = await send(`/api/v1/blueprints/${blueprint}/entities`, new Blob([bytes]), {
      'content-type': 'application/json',
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/not valid UTF-8/);
    expect((await px.call('GET', `/api/v1/blueprints/${blueprint}/entities/${id}`)).status).toBe(404);
  });
});
