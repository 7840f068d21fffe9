import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../config.ts';
import { createSecretBox, loadSecretsKey, mask, redact, redactValue } from './secrets.ts';

describe('secret box', () => {
  it('seals and opens a secret, with a fresh IV each time', () => {
    const box = createSecretBox(randomBytes(32));
    const a = box.encrypt('hunter2-hunter2');
    const b = box.encrypt('hunter2-hunter2');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(box.decrypt(a)).toBe('hunter2-hunter2');
  });

  it('refuses a value sealed with another key or tampered with', () => {
    const sealed = createSecretBox(randomBytes(32)).encrypt('x');
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow();
    const box = createSecretBox(randomBytes(32));
    const parts = box.encrypt('hello').split(':');
    parts[3] = Buffer.from('jello').toString('base64url');
    expect(() => box.decrypt(parts.join(':'))).toThrow();
  });

  it('generates a key file with mode 0600 once and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexus-key-'));
    const first = loadSecretsKey(undefined, dir);
    expect(first).toHaveLength(32);
    expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretsKey(undefined, dir).equals(first)).toBe(true);
    expect(Buffer.from(readFileSync(join(dir, 'secrets.key'), 'utf8'), 'base64').equals(first)).toBe(true);
  });

  it('prefers the configured key', () => {
    const key = randomBytes(32);
    expect(loadSecretsKey(key.toString('base64'), '/nonexistent').equals(key)).toBe(true);
  });
});

describe('redaction', () => {
  it('masks every copy of a secret, longest first, and leaves short ones alone', () => {
    expect(redact('token abcd1234 and abcd1234x', ['abcd1234', 'abc'])).toBe(`token ${mask} and ${mask}x`);
    expect(redact('a1b', ['a1'])).toBe('a1b');
    expect(redactValue({ note: 'pw s3cret!', list: ['s3cret!'] }, ['s3cret!'])).toEqual({
      note: `pw ${mask}`,
      list: [mask],
    });
  });
});

describe('actions configuration', () => {
  const base = { PLEXUS_CONFIG: '/dev/null' } as NodeJS.ProcessEnv;
  it('reads the secrets key, public URL and run limits', () => {
    const key = randomBytes(32).toString('base64');
    const c = readConfig({
      ...base,
      PLEXUS_SECRETS_KEY: key,
      PLEXUS_PUBLIC_URL: 'https://plexus.example.com/',
      PLEXUS_RUN_LOG_LINE_BYTES: '16kb',
      PLEXUS_RUN_MAX_LOG_LINES: '50',
    });
    expect(c.actions).toMatchObject({
      secretsKey: key,
      publicUrl: 'https://plexus.example.com',
      maxLogLineBytes: 16384,
      maxLogLines: 50,
    });
    expect(readConfig({ ...base, PORT: '4100' }).actions.publicUrl).toBe('http://127.0.0.1:4100');
  });

  it('says what to fix for a bad key or URL', () => {
    expect(() => readConfig({ ...base, PLEXUS_SECRETS_KEY: 'c2hvcnQ=' })).toThrow(ConfigError);
    expect(() => readConfig({ ...base, PLEXUS_SECRETS_KEY: 'c2hvcnQ=' })).toThrow(/32 random bytes/);
    expect(() => readConfig({ ...base, PLEXUS_PUBLIC_URL: 'plexus.local' })).toThrow(/PLEXUS_PUBLIC_URL/);
  });
});
