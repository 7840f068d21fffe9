import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, defineConfig, field, keepSecrets, withoutSecrets, z } from './config-schema.ts';

const schema = defineConfig({
  baseUrl: field.url().default('https://api.github.com'),
  org: field.string(),
  token: field.secret(),
  auth: z.strictObject({ user: field.string(), password: field.secret() }).optional(),
  pageSize: field.number({ integer: true, min: 1, max: 100 }).default(50),
  mode: z.enum(['full', 'fast']).default('full'),
  paths: field.list(field.string()).default([]),
});

/** The issues `parse` throws for `raw` (fails the test when it parses). */
function issuesOf(s: { parse(raw: unknown): unknown }, raw: unknown) {
  try {
    s.parse(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigInvalidError);
    return (err as ConfigInvalidError).issues;
  }
  return expect.unreachable('the config parsed');
}

describe('connector config', () => {
  it('parses with defaults and types', () => {
    expect(schema.parse({ org: 'acme', token: 't', paths: 'one' })).toEqual({
      baseUrl: 'https://api.github.com',
      org: 'acme',
      token: 't',
      pageSize: 50,
      mode: 'full',
      paths: ['one'],
    });
  });

  it('lists every problem with its path', () => {
    expect(
      issuesOf(schema, { baseUrl: 'ftp://x', pageSize: 0.5, mode: 'slow', auth: { user: 3 }, typo: true }),
    ).toEqual([
      {
        path: '/typo',
        message: 'unknown key; expected one of baseUrl, org, token, auth, pageSize, mode, paths',
      },
      { path: '/baseUrl', message: 'must be an http or https URL; got "ftp://x"' },
      { path: '/org', message: 'is required' },
      { path: '/token', message: 'is required' },
      { path: '/auth/user', message: 'must be a string, got a number' },
      { path: '/auth/password', message: 'is required' },
      { path: '/pageSize', message: 'must be at least 1; got 0.5' },
      { path: '/pageSize', message: 'must be an integer; got 0.5' },
      { path: '/mode', message: 'must be one of full, fast; got "slow"' },
    ]);
  });

  it('says what is wrong with each kind of value', () => {
    const kinds = defineConfig({
      url: field.url(),
      flag: z.boolean(),
      map: z.record(z.string(), field.string()),
      names: field.list(field.string(), { min: 1 }),
      size: field.number({ max: 10 }),
      name: field.string(),
    });
    expect(
      issuesOf(kinds, { url: 'not a url', flag: 'yes', map: ['a'], names: [], size: '11', name: '' }),
    ).toEqual([
      { path: '/url', message: 'must be an absolute URL such as https://example.com; got "not a url"' },
      { path: '/flag', message: 'must be true or false, got a string' },
      { path: '/map', message: 'must be a mapping, got a list' },
      { path: '/names', message: 'must hold at least 1 item(s)' },
      { path: '/size', message: 'must be at most 10; got 11' },
      { path: '/name', message: 'must not be empty' },
    ]);
    expect(issuesOf(kinds, [1, 2])).toEqual([{ path: '/', message: 'must be a mapping, got a list' }]);
  });

  it('reads numbers written as text, URLs without their trailing slash, and null as absent', () => {
    expect(
      schema.parse({
        org: 'acme',
        token: 't',
        pageSize: '20',
        baseUrl: 'http://127.0.0.1:9/api/',
        auth: null,
      }),
    ).toEqual({
      baseUrl: 'http://127.0.0.1:9/api',
      org: 'acme',
      token: 't',
      pageSize: 20,
      mode: 'full',
      paths: [],
    });
    expect(issuesOf(schema, { org: 'acme', token: null, pageSize: 'many' })).toEqual([
      { path: '/token', message: 'is required' },
      { path: '/pageSize', message: 'must be a number, got a string' },
    ]);
  });

  it('runs the cross-field check only on a config that parsed', () => {
    const ranged = defineConfig(
      { from: field.number(), to: field.number() },
      {
        check(c, issues) {
          if (c.to < c.from) issues.push({ path: '/to', message: 'must not be below from' });
        },
      },
    );
    expect(issuesOf(ranged, { from: 2, to: 1 })).toEqual([
      { path: '/to', message: 'must not be below from' },
    ]);
    expect(issuesOf(ranged, { from: 2 })).toEqual([{ path: '/to', message: 'is required' }]);
  });

  it('knows which paths are secret, strips them for display and keeps them when a client leaves them out', () => {
    expect(schema.secretPaths).toEqual(['token', 'auth/password']);
    const stored = { org: 'acme', token: 't0k', auth: { user: 'u', password: 'p' } };
    expect(withoutSecrets(stored, schema.secretPaths)).toEqual({
      config: { org: 'acme', auth: { user: 'u' } },
      secretsSet: ['token', 'auth/password'],
    });
    expect(keepSecrets({ org: 'other', auth: { user: 'u2' } }, stored, schema.secretPaths)).toEqual({
      org: 'other',
      token: 't0k',
      auth: { user: 'u2', password: 'p' },
    });
    expect(keepSecrets({ org: 'other', token: 'new' }, stored, schema.secretPaths)).toMatchObject({
      token: 'new',
    });
  });

  it('marks a secret once, through optional, defaults, descriptions, maps and lists', () => {
    const s = defineConfig({
      headers: field.secret(z.record(z.string(), field.string())).optional(),
      keys: field.list(field.secret()).default([]),
      described: field.secret().describe('the token').optional(),
      withDefault: field.secret().default('x'),
      plain: z.record(z.string(), field.string()).optional(),
      nested: z.strictObject({ deeper: z.strictObject({ key: field.secret().optional() }) }).optional(),
    });
    expect(s.secretPaths).toEqual(['headers', 'keys', 'described', 'withDefault', 'nested/deeper/key']);
    expect(JSON.stringify(z.toJSONSchema(s.schema, { io: 'input', unrepresentable: 'any' }))).toContain(
      '"writeOnly":true',
    );
  });
});
