import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, defineConfig, field, keepSecrets, withoutSecrets } from './config-schema.ts';

const schema = defineConfig({
  baseUrl: field.url().default('https://api.github.com'),
  org: field.string(),
  token: field.secret(),
  auth: field.object({ user: field.string(), password: field.secret() }).optional(),
  pageSize: field.number({ integer: true, min: 1, max: 100 }).default(50),
  mode: field.enum(['full', 'fast'] as const).default('full'),
  paths: field.list(field.string()).default([]),
});

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
    try {
      schema.parse({ baseUrl: 'ftp://x', pageSize: 0.5, mode: 'slow', auth: { user: 3 }, typo: true });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigInvalidError);
      expect((err as ConfigInvalidError).issues).toEqual([
        {
          path: '/typo',
          message: 'unknown key; expected one of baseUrl, org, token, auth, pageSize, mode, paths',
        },
        { path: '/baseUrl', message: 'must be an http or https URL; got "ftp://x"' },
        { path: '/org', message: 'is required' },
        { path: '/token', message: 'is required' },
        { path: '/auth/user', message: 'must be a string, got a number' },
        { path: '/auth/password', message: 'is required' },
        { path: '/pageSize', message: 'must be an integer; got 0.5' },
        { path: '/pageSize', message: 'must be at least 1; got 0.5' },
        { path: '/mode', message: 'must be one of full, fast; got "slow"' },
      ]);
    }
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
});
