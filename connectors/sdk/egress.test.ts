import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyAddress,
  createEgressPolicy,
  EgressRefusedError,
  parseAllowList,
  parseCidr,
} from './egress.ts';
import { type FakeServer, startFakeServer } from './fake-server.ts';
import { createHttpClient, HttpError, systemClock } from './http-client.ts';

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function serve(...args: Parameters<typeof startFakeServer>) {
  const s = await startFakeServer(...args);
  servers.push(s);
  return s;
}
const portOf = (url: string) => new URL(url).port;

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT (shared)'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ])('refuses the IPv4 address %s as %s', (address, why) => {
    expect(classifyAddress(address)).toBe(why);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '11.0.0.1'])(
    'lets the public IPv4 address %s through',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fc00::1', 'private (unique local)'],
    ['fdff:1234::5', 'private (unique local)'],
    ['ff02::1', 'multicast'],
    ['fe80::1%eth0', 'link-local'],
  ])('refuses the IPv6 address %s as %s', (address, why) => {
    expect(classifyAddress(address)).toBe(why);
  });

  it.each(['2001:4860:4860::8888', '2606:4700:4700::1111', '2a00:1450::1'])(
    'lets the public IPv6 address %s through',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:7f00:0001::', 'loopback'],
    ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
  ])('judges the IPv4 address inside %s: %s', (address, why) => {
    expect(classifyAddress(address)).toBe(why);
  });

  it('lets a mapped public IPv4 address through', () => {
    expect(classifyAddress('::ffff:8.8.8.8')).toBeNull();
  });

  it('calls a host name not an address', () => {
    expect(classifyAddress('localhost')).toBe('not an IP address');
  });
});

describe('parseCidr and parseAllowList', () => {
  it('reads CIDRs and bare addresses of both families', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, bits: 8 });
    expect(parseCidr('127.0.0.1')).toMatchObject({ family: 4, bits: 32 });
    expect(parseCidr('fd12::/16')).toMatchObject({ family: 6, bits: 16 });
    expect(parseCidr('::1')).toMatchObject({ family: 6, bits: 128 });
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0/x')).toBeNull();
    expect(parseCidr('example.com')).toBeNull();
  });

  it('reads hosts and ports', () => {
    expect(parseAllowList(['git.internal', 'git.internal:8443', '127.0.0.1:8080', '[::1]:9000'])).toEqual([
      { text: 'git.internal', host: 'git.internal', port: undefined },
      { text: 'git.internal:8443', host: 'git.internal', port: 8443 },
      expect.objectContaining({
        text: '127.0.0.1:8080',
        port: 8080,
        cidr: expect.objectContaining({ bits: 32 }),
      }),
      expect.objectContaining({
        text: '[::1]:9000',
        port: 9000,
        cidr: expect.objectContaining({ family: 6 }),
      }),
    ]);
  });

  it('names an entry it cannot read', () => {
    expect(() => parseAllowList(['10.0.0.0/40'])).toThrow(/"10\.0\.0\.0\/40" is not a CIDR/);
    expect(() => parseAllowList(['http://x'])).toThrow(/"http:\/\/x"/);
    expect(() => parseAllowList(['host:99999'])).toThrow(/host:99999/);
  });
});

describe('egress policy checks', () => {
  const dns = (answers: Record<string, string[]>) => async (host: string) => {
    const list = answers[host];
    if (!list) throw new Error(`ENOTFOUND ${host}`);
    return list.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };

  it('refuses a name that resolves to a forbidden address, saying which and how to allow it', async () => {
    const policy = createEgressPolicy({ lookup: dns({ 'evil.example': ['169.254.169.254'] }) });
    await expect(policy.check('http://evil.example/latest/meta-data')).rejects.toThrow(
      /evil\.example resolves to 169\.254\.169\.254, which is a cloud metadata address; allow it with PLEXUS_EGRESS_ALLOW/,
    );
  });

  it('refuses when any one of the addresses is forbidden', async () => {
    const policy = createEgressPolicy({ lookup: dns({ 'mixed.example': ['93.184.216.34', '10.0.0.5'] }) });
    await expect(policy.check('https://mixed.example/')).rejects.toBeInstanceOf(EgressRefusedError);
  });

  it('returns the checked public address to connect to', async () => {
    const policy = createEgressPolicy({ lookup: dns({ 'ok.example': ['93.184.216.34'] }) });
    await expect(policy.check('https://ok.example/')).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('refuses metadata host names, literal forbidden addresses and other schemes', async () => {
    const policy = createEgressPolicy({ lookup: dns({}) });
    await expect(policy.check('http://metadata.google.internal/')).rejects.toThrow(/cloud metadata host/);
    await expect(policy.check('http://[::ffff:127.0.0.1]:8080/')).rejects.toThrow(/loopback/);
    await expect(policy.check('http://[fd00:ec2::254]/')).rejects.toThrow(/cloud metadata/);
    await expect(policy.check('http://0.0.0.0/')).rejects.toThrow(/unspecified/);
    await expect(policy.check('http://2130706433/')).rejects.toThrow(/loopback/);
    await expect(policy.check('file:///etc/passwd')).rejects.toThrow(/only http and https/);
  });

  it('allows by CIDR, by exact address and port, and by host name', async () => {
    const lookup = dns({ 'git.internal': ['10.9.8.7'] });
    const byCidr = createEgressPolicy({ allow: ['10.0.0.0/8'], lookup });
    await expect(byCidr.check('https://git.internal/')).resolves.toMatchObject({ address: '10.9.8.7' });
    const byPort = createEgressPolicy({ allow: ['127.0.0.1:8080'], lookup });
    await expect(byPort.check('http://127.0.0.1:8080/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(byPort.check('http://127.0.0.1:8081/')).rejects.toThrow(/loopback/);
    const byHost = createEgressPolicy({ allow: ['git.internal:443'], lookup });
    await expect(byHost.check('https://git.internal/')).resolves.toMatchObject({ address: '10.9.8.7' });
    await expect(byHost.check('http://git.internal/')).rejects.toThrow(/private/);
    const v4RuleMappedAddress = createEgressPolicy({ allow: ['127.0.0.1'] });
    await expect(v4RuleMappedAddress.check('http://[::ffff:127.0.0.1]/')).resolves.toBeDefined();
  });

  it('connects to the address it checked, not to what DNS answers later', async () => {
    const server = await serve(() => ({ body: { ok: true } }));
    let calls = 0;
    // First answer allowed (127.0.0.1 by rule), any later answer would be the metadata address.
    const policy = createEgressPolicy({
      allow: ['127.0.0.1'],
      lookup: async () =>
        calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }],
    });
    const res = await policy.fetch(`http://rebind.test:${portOf(server.url)}/x`);
    expect(await res.json()).toEqual({ ok: true });
    expect(calls).toBe(1);
    expect(server.requests[0].headers.host).toBe(`rebind.test:${portOf(server.url)}`);
  });
});

describe('egress policy fetch', () => {
  it('refuses a local listener unless allowed, without connecting', async () => {
    const server = await serve(() => ({ body: { secret: 'internal' } }));
    await expect(createEgressPolicy().fetch(`${server.url}/`)).rejects.toThrow(/it is a loopback address/);
    expect(server.requests).toHaveLength(0);
    const allowed = await createEgressPolicy({ allow: ['127.0.0.1'] }).fetch(`${server.url}/`);
    expect(await allowed.json()).toEqual({ secret: 'internal' });
  });

  it('re-checks every redirect hop and refuses one to a forbidden destination', async () => {
    const inner = await serve(() => ({ body: { secret: 'internal' } }));
    const outer = await serve(() => ({ status: 302, headers: { location: `${inner.url}/admin` } }));
    const policy = createEgressPolicy({ allow: [`127.0.0.1:${portOf(outer.url)}`] });
    await expect(policy.fetch(`${outer.url}/start`)).rejects.toThrow(
      new RegExp(`refused http://127\\.0\\.0\\.1:${portOf(inner.url)}: it is a loopback address`),
    );
    expect(outer.requests).toHaveLength(1);
    expect(inner.requests).toHaveLength(0);
  });

  it('drops secret headers on a cross-origin redirect and keeps them on a same-origin one', async () => {
    const other = await serve(() => ({ body: { at: 'other' } }));
    const first = await serve((req) =>
      req.path === '/same'
        ? { status: 301, headers: { location: '/moved' } }
        : req.path === '/moved'
          ? { status: 307, headers: { location: `${other.url}/landing` } }
          : { status: 500 },
    );
    const policy = createEgressPolicy({ allow: ['127.0.0.1'] });
    const res = await policy.fetch(`${first.url}/same`, {
      headers: {
        authorization: 'Bearer top-secret',
        cookie: 'session=1',
        'x-custom-credential': 'abc',
        'x-marked': 'marked-secret',
        'x-trace': 'keep-me',
      },
      secretHeaders: ['X-Marked'],
    });
    expect(await res.json()).toEqual({ at: 'other' });
    expect(res.url).toBe(`${other.url}/landing`);
    expect(first.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer top-secret',
      'Bearer top-secret',
    ]);
    const landed = other.requests[0].headers;
    expect(landed.authorization).toBeUndefined();
    expect(landed.cookie).toBeUndefined();
    expect(landed['x-custom-credential']).toBeUndefined();
    expect(landed['x-marked']).toBeUndefined();
    expect(landed['x-trace']).toBe('keep-me');
  });

  it('stops after the allowed number of redirects', async () => {
    const loop = await serve((req) => ({ status: 302, headers: { location: `/r${req.path.length}` } }));
    const policy = createEgressPolicy({ allow: ['127.0.0.1'], maxRedirects: 3 });
    await expect(policy.fetch(`${loop.url}/`)).rejects.toThrow(
      /more than 3 redirects \(PLEXUS_EGRESS_MAX_REDIRECTS\)/,
    );
    expect(loop.requests).toHaveLength(4);
  });

  it('refuses a response larger than the cap, declared or streamed', async () => {
    const big = 'x'.repeat(4096);
    const declared = await serve(() => ({ body: big }));
    const policy = createEgressPolicy({ allow: ['127.0.0.1'], maxResponseBytes: 1024 });
    await expect(policy.fetch(`${declared.url}/`)).rejects.toThrow(
      /larger than 1024 bytes \(PLEXUS_EGRESS_MAX_RESPONSE_BYTES\)/,
    );
    // Chunked, without a content-length: counted as it arrives.
    const streamed = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 8; i++) res.write(big.slice(0, 512));
      res.end();
    });
    await new Promise<void>((r) => streamed.listen(0, '127.0.0.1', r));
    try {
      const port = (streamed.address() as AddressInfo).port;
      await expect(policy.fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(/larger than 1024 bytes/);
      const fine = await createEgressPolicy({ allow: ['127.0.0.1'], maxResponseBytes: 8192 }).fetch(
        `http://127.0.0.1:${port}/`,
      );
      expect((await fine.text()).length).toBe(4096);
    } finally {
      streamed.closeAllConnections();
      await new Promise((r) => streamed.close(r));
    }
  });

  it('gives up on an answer that takes longer than the deadline', async () => {
    const slow = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      // Never ends: the deadline must.
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    try {
      const port = (slow.address() as AddressInfo).port;
      const policy = createEgressPolicy({ allow: ['127.0.0.1'], timeoutMs: 300 });
      await expect(policy.fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(
        /no complete answer within 300 ms \(PLEXUS_EGRESS_TIMEOUT_MS\)/,
      );
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  }, 20_000);

  it('makes the SDK client fail at once on a refusal instead of retrying', async () => {
    const server = await serve(() => ({ body: {} }));
    const http = createHttpClient({}, { egress: createEgressPolicy(), clock: systemClock });
    const error = (await http.get(`${server.url}/`).then(
      () => null,
      (e: unknown) => e,
    )) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toMatch(/loopback address/);
    expect(server.requests).toHaveLength(0);
  });
});
