/**
 * The one egress policy for every outbound call Plexus makes (connectors, Backstage Location URL
 * targets, and later action invokers): where a request may go, checked on the address it will
 * actually connect to.
 *
 * - Loopback, link-local, cloud metadata, private, carrier-grade NAT, unspecified, multicast and
 *   reserved addresses (and their IPv4-mapped/compatible/NAT64/6to4 IPv6 forms) are refused unless
 *   an `allow` rule (CIDR, host or host:port; `PLEXUS_EGRESS_ALLOW`) admits them.
 * - The host is resolved here (every address: one forbidden address refuses the request) and the
 *   connection goes to the checked address, so a DNS answer that changes between the check and
 *   the connect (rebinding) cannot slip through.
 * - Redirects are followed here, each hop checked again, at most `maxRedirects`; secret headers
 *   are dropped for good once a redirect leaves the first origin.
 * - Response bodies are capped (`maxResponseBytes`) and the whole exchange, hops and body
 *   included, has a deadline (`timeoutMs`).
 *
 * @example
 * const egress = createEgressPolicy({ allow: ['10.1.0.0/16', 'git.internal:443'] });
 * const res = await egress.fetch('https://api.github.com/zen', { headers: { authorization } });
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

/** A refused outbound request: the message says what was refused, why, and which setting allows it. */
export class EgressRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

/** What a TLS connection needs beyond the system trust store (PEM text), e.g. a cluster's CA. */
export interface TlsIdentity {
  ca?: string;
  cert?: string;
  key?: string;
  /** false only when the operator asked to skip verification (kubeconfig `insecure-skip-tls-verify`). */
  rejectUnauthorized?: boolean;
}

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (injectable so tests can simulate DNS answers). */
export type EgressLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** Options of `createEgressPolicy`. */
export interface EgressOptions {
  /**
   * Destinations allowed although their address is not public: CIDRs (`10.0.0.0/8`, `fd12::/16`),
   * addresses (`127.0.0.1`, `::1`), hosts (`git.internal`) and either with a port
   * (`127.0.0.1:8080`, `[::1]:8080`, `git.internal:443`).
   */
  allow?: readonly string[];
  /** Largest response body accepted. Default 50 MiB. */
  maxResponseBytes?: number;
  /** Deadline for one request, redirects and body included. Default 60 s. */
  timeoutMs?: number;
  /** Redirect hops followed. Default 5. */
  maxRedirects?: number;
  /** DNS resolution; default `dns.lookup` with `all: true`. */
  lookup?: EgressLookup;
}

/** Per-request extras of the policy's fetch. */
export interface EgressRequestOptions {
  /** Header names (any case) that must not follow a cross-origin redirect, beyond the built-in list. */
  secretHeaders?: readonly string[];
  /** TLS identity for https targets. */
  tls?: TlsIdentity;
}

/** The policy: checks and fetches. */
export interface EgressPolicy {
  /** Settings in force (after defaults). */
  readonly settings: Readonly<Required<Omit<EgressOptions, 'lookup'>>>;
  /**
   * Resolves `url`'s host and returns the address to connect to; throws `EgressRefusedError` when
   * the scheme is not http(s) or any address is forbidden and not allowed.
   */
  check(url: string | URL): Promise<ResolvedAddress>;
  /** A fetch that enforces the policy (redirects followed and re-checked here). */
  fetch(input: string | URL | Request, init?: RequestInit & EgressRequestOptions): Promise<Response>;
  /** The policy's fetch with fixed extras, for clients that take a plain `fetch`. */
  fetcher(extra?: EgressRequestOptions): typeof fetch;
}

/** Headers that always count as secret on a cross-origin redirect. */
const secretHeaderNames = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookie2',
  'x-api-key',
  'api-key',
  'apikey',
  'private-token',
  'job-token',
  'x-auth-token',
  'x-access-token',
  'x-gitlab-token',
  'x-vault-token',
]);
/** Header names that look like credentials (custom API key headers and the like). */
const secretLooking = /token|secret|passw|api[-_]?key|auth|session|cookie|signature|credential/i;

const metadataHosts = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data']);

/** Parses dotted-quad IPv4 into a 32-bit number, or null. */
function parseIPv4(s: string): number | null {
  if (isIP(s) !== 4) return null;
  return s.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

/** Parses IPv6 (with `::` and a dotted IPv4 tail; zone ids ignored) into a 128-bit bigint, or null. */
function parseIPv6(raw: string): bigint | null {
  const s = raw.replace(/^\[|\]$/g, '').split('%')[0];
  if (isIP(s) !== 6) return null;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups =
    halves.length > 1 ? [...head, ...Array(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8) return null;
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

const v4Ranges: [string, string][] = [
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT (shared)'],
  ['192.0.0.0/24', 'reserved (IETF protocol assignments)'],
  ['198.18.0.0/15', 'reserved (benchmarking)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];
const v6Ranges: [string, string][] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated, private)'],
  ['fc00::/7', 'private (unique local)'],
  ['ff00::/8', 'multicast'],
];

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const v4 = parseIPv4(addr);
  const family: 4 | 6 = v4 !== null ? 4 : 6;
  const value = v4 !== null ? BigInt(v4) : parseIPv6(addr);
  if (value === null) return null;
  const max = family === 4 ? 32 : 128;
  const bits = len === undefined ? max : Number(len);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || (len !== undefined && !/^\d+$/.test(len)))
    return null;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { family, base: value & mask, bits };
}

function inCidr(c: Cidr, family: 4 | 6, value: bigint): boolean {
  if (c.family !== family) return false;
  const max = family === 4 ? 32 : 128;
  const mask = c.bits === 0 ? 0n : ((1n << BigInt(c.bits)) - 1n) << BigInt(max - c.bits);
  return (value & mask) === c.base;
}

const forbidden4 = v4Ranges.map(([c, why]) => ({ cidr: parseCidr(c)!, why }));
const forbidden6 = v6Ranges.map(([c, why]) => ({ cidr: parseCidr(c)!, why }));

/**
 * An address in its canonical family: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
 * (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`) IPv6 forms give the IPv4
 * address they carry, so they are judged (and allowed) as that address.
 */
export function canonicalAddress(
  address: string,
): { family: 4 | 6; value: bigint; v4: string | null } | null {
  const v4 = parseIPv4(address);
  if (v4 !== null) return { family: 4, value: BigInt(v4), v4: address };
  const v6 = parseIPv6(address);
  if (v6 === null) return null;
  const embedded = (n: bigint) => {
    const x = Number(n & 0xffffffffn);
    return {
      family: 4 as const,
      value: BigInt(x),
      v4: [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.'),
    };
  };
  if (v6 >> 32n === 0xffffn) return embedded(v6); // ::ffff:0:0/96 mapped
  if (v6 >> 32n === 0n && v6 > 1n) return embedded(v6); // ::/96 compatible (not :: or ::1)
  if (v6 >> 32n === 0x0064ff9b0000000000000000n) return embedded(v6); // 64:ff9b::/96 NAT64
  if (v6 >> 112n === 0x2002n) return embedded(v6 >> 80n); // 2002::/16 6to4
  return { family: 6, value: v6, v4: null };
}

/**
 * Why an address may not be called without an allow rule (`loopback`, `private`, `cloud
 * metadata`...), or null for a public address. Mapped IPv6 forms are judged as their IPv4 address.
 * @example classifyAddress('::ffff:127.0.0.1') // 'loopback'
 */
export function classifyAddress(address: string): string | null {
  const a = canonicalAddress(address);
  if (!a) return 'not an IP address';
  const list = a.family === 4 ? forbidden4 : forbidden6;
  for (const { cidr, why } of list) if (inCidr(cidr, a.family, a.value)) return why;
  return null;
}

/** One parsed `allow` entry. */
export interface AllowRule {
  text: string;
  cidr?: Cidr;
  host?: string;
  port?: number;
}

/**
 * Parses allow entries: CIDRs and addresses, `host`, `host:port`, `addr:port`, `[v6]:port`.
 * Throws an `Error` naming the bad entry.
 */
export function parseAllowList(entries: readonly string[]): AllowRule[] {
  return entries.map((raw) => {
    const text = raw.trim();
    const bad = () =>
      new Error(
        `egress allow entry "${raw}" is not a CIDR (10.0.0.0/8), an address (127.0.0.1, ::1), a host (git.internal) or one of those with a port (127.0.0.1:8080, [::1]:8080, git.internal:443)`,
      );
    if (text === '') throw bad();
    const whole = parseCidr(text);
    if (whole) return { text, cidr: whole };
    let host = text;
    let port: number | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    const hostPort = /^([^:/\s]+):(\d+)$/.exec(text);
    if (bracket) {
      host = bracket[1];
      port = bracket[2] ? Number(bracket[2]) : undefined;
    } else if (hostPort) {
      host = hostPort[1];
      port = Number(hostPort[2]);
    }
    if (port !== undefined && (port < 1 || port > 65535)) throw bad();
    const cidr = parseCidr(host);
    if (cidr) return { text, cidr, port };
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) throw bad();
    return { text, host: host.toLowerCase().replace(/\.$/, ''), port };
  });
}

const defaultLookup: EgressLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * Creates the policy. Nothing is allowed beyond public addresses unless `allow` says so.
 * @example createEgressPolicy({ allow: ['127.0.0.1'] }) // tests with local fake servers
 */
export function createEgressPolicy(options: EgressOptions = {}): EgressPolicy {
  const rules = parseAllowList(options.allow ?? []);
  const settings = {
    allow: [...(options.allow ?? [])],
    maxResponseBytes: options.maxResponseBytes ?? 50 * 1024 ** 2,
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRedirects: options.maxRedirects ?? 5,
  };
  const lookup = options.lookup ?? defaultLookup;

  const allowed = (hostname: string, port: number, address: string | null) => {
    const a = address === null ? null : canonicalAddress(address);
    return rules.some(
      (r) =>
        (r.port === undefined || r.port === port) &&
        ((r.host !== undefined && r.host === hostname) ||
          (r.cidr !== undefined && a !== null && inCidr(r.cidr, a.family, a.value)) ||
          // An IPv6 rule may name the mapped form itself (::ffff:10.0.0.1).
          (r.cidr !== undefined &&
            address !== null &&
            a?.family === 4 &&
            (() => {
              const raw = parseIPv6(address);
              return raw !== null && inCidr(r.cidr!, 6, raw);
            })())),
    );
  };

  async function check(target: string | URL): Promise<ResolvedAddress> {
    let url: URL;
    try {
      url = new URL(String(target));
    } catch {
      throw new EgressRefusedError(`refused ${String(target)}: not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new EgressRefusedError(`refused ${url.protocol}// URL: only http and https may be fetched`);
    const hostname = url.hostname
      .replace(/^\[|\]$/g, '')
      .toLowerCase()
      .replace(/\.$/, '');
    const port = portOf(url);
    const where = `${url.protocol}//${url.host}`;
    const hint = `; allow it with PLEXUS_EGRESS_ALLOW (e.g. "${url.hostname}:${port}") if it is meant to be reached`;
    if (metadataHosts.has(hostname) && !allowed(hostname, port, null))
      throw new EgressRefusedError(`refused ${where}: a cloud metadata host${hint}`);
    let addresses: ResolvedAddress[];
    if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await lookup(hostname);
      } catch (err) {
        throw new EgressRefusedError(
          `refused ${where}: ${hostname} does not resolve (${(err as Error).message})`,
        );
      }
      if (addresses.length === 0)
        throw new EgressRefusedError(`refused ${where}: ${hostname} has no address`);
    }
    for (const a of addresses) {
      const why = classifyAddress(a.address);
      if (why !== null && !allowed(hostname, port, a.address))
        throw new EgressRefusedError(
          `refused ${where}: ${hostname === a.address ? 'it' : `${hostname} resolves to ${a.address}, which`} is a ${why} address${hint}`,
        );
    }
    return addresses[0];
  }

  async function send(
    url: URL,
    to: ResolvedAddress,
    method: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
    tls: TlsIdentity | undefined,
  ): Promise<{ status: number; statusText: string; headers: Headers; body: Buffer }> {
    const limit = settings.maxResponseBytes;
    return new Promise((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      const req = (isHttps ? httpsRequest : httpRequest)(
        url,
        {
          method,
          headers,
          signal,
          // Connect to the address that was checked, whatever DNS would answer now.
          lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
            if (opts?.all) cb(null, [{ address: to.address, family: to.family }]);
            else cb(null, to.address, to.family);
          }) as never,
          ...(isHttps && tls
            ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true }
            : {}),
        },
        (res: IncomingMessage) => {
          const declared = Number(res.headers['content-length']);
          const tooBig = () =>
            new EgressRefusedError(
              `refused the response of ${url.protocol}//${url.host}${url.pathname}: larger than ${limit} bytes (PLEXUS_EGRESS_MAX_RESPONSE_BYTES)`,
            );
          if (Number.isFinite(declared) && declared > limit) {
            reject(tooBig());
            res.destroy();
            req.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > limit) {
              reject(tooBig());
              res.destroy();
              req.destroy();
              return;
            }
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('aborted', () => reject(signal.reason ?? new Error('response aborted')));
          res.on('end', () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) out.append(k, x);
              else if (v !== undefined) out.set(k, v);
            }
            resolve({
              status: res.statusCode ?? 500,
              statusText: res.statusMessage ?? '',
              headers: out,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      req.on('error', (err) => reject(signal.aborted ? (signal.reason ?? err) : err));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async function policyFetch(
    input: string | URL | Request,
    init: RequestInit & EgressRequestOptions = {},
  ): Promise<Response> {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const deadline = AbortSignal.timeout(settings.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    let method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body: string | Buffer | undefined;
    if (typeof init.body === 'string') body = init.body;
    else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
    else if (init.body !== undefined && init.body !== null)
      throw new TypeError('the egress fetch sends string or byte bodies only');
    const extraSecrets = new Set((init.secretHeaders ?? []).map((h) => h.toLowerCase()));
    const firstOrigin = url.origin;
    try {
      for (let hop = 0; ; hop++) {
        signal.throwIfAborted();
        const to = await check(url);
        const res = await send(url, to, method, headers, body, signal, init.tls);
        const location = res.headers.get('location');
        if ([301, 302, 303, 307, 308].includes(res.status) && location && init.redirect !== 'manual') {
          if (init.redirect === 'error') throw new TypeError(`${url} redirected to ${location}`);
          if (hop >= settings.maxRedirects)
            throw new EgressRefusedError(
              `refused ${firstOrigin}: more than ${settings.maxRedirects} redirects (PLEXUS_EGRESS_MAX_REDIRECTS)`,
            );
          const next = new URL(location, url);
          if (next.origin !== firstOrigin) {
            // Credentials were meant for the first origin only; once it is left they stay dropped.
            for (const name of Object.keys(headers))
              if (secretHeaderNames.has(name) || extraSecrets.has(name) || secretLooking.test(name))
                delete headers[name];
          }
          if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
            method = method === 'HEAD' ? 'HEAD' : 'GET';
            body = undefined;
            delete headers['content-type'];
            delete headers['content-length'];
          }
          url = next;
          continue;
        }
        const nullBody = [101, 204, 205, 304].includes(res.status) || method === 'HEAD';
        const response = new Response(nullBody ? null : (res.body as unknown as BodyInit), {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
        Object.defineProperty(response, 'url', { value: url.toString() });
        Object.defineProperty(response, 'redirected', { value: hop > 0 });
        return response;
      }
    } catch (err) {
      if (deadline.aborted && !init.signal?.aborted)
        throw new EgressRefusedError(
          `refused ${firstOrigin}: no complete answer within ${settings.timeoutMs} ms (PLEXUS_EGRESS_TIMEOUT_MS)`,
        );
      throw err;
    }
  }

  return {
    settings,
    check,
    fetch: policyFetch,
    fetcher: (extra = {}) =>
      ((input: string | URL | Request, init: RequestInit = {}) =>
        policyFetch(input, {
          ...init,
          secretHeaders: [...(extra.secretHeaders ?? [])],
          ...(extra.tls ? { tls: extra.tls } : {}),
        })) as typeof fetch,
  };
}
