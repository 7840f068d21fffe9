import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a secret looks like whenever it is shown: in API answers, logs, stored inputs. */
export const mask = '********';

/** Encrypts and decrypts secrets at rest (invoker secrets, secret inputs kept for re-runs). */
export interface SecretBox {
  /** `v1:<iv>:<tag>:<ciphertext>` (base64url parts): AES-256-GCM with a fresh 12-byte IV. */
  encrypt(plain: string): string;
  /** Throws when the text was not sealed with this key (a changed key, a tampered value). */
  decrypt(sealed: string): string;
}

/** A box sealing with `key` (32 bytes). */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the secrets key must be 32 bytes');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        'v1',
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        data.toString('base64url'),
      ].join(':');
    },
    decrypt(sealed) {
      const [v, iv, tag, data] = sealed.split(':');
      if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

/**
 * The secrets key: `configured` (PLEXUS_SECRETS_KEY, base64 of 32 bytes) when given, else the key
 * in `<dataDir>/secrets.key`, generated there with mode 0600 on first start (as the embedded
 * Neo4j's password is). Every replica must share it: set PLEXUS_SECRETS_KEY when there are several.
 */
export function loadSecretsKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = join(dataDir, 'secrets.key');
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process of the same data directory wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    throw err;
  }
  return key;
}

/**
 * `text` with every occurrence of each secret replaced by the mask. Secrets shorter than 4
 * characters are left alone: masking every "1" in a log would hide the log, not the secret.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join(mask);
  }
  return out;
}

/** Deeply redacts string values of a JSON-like value (stored inputs, summaries). */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets)]));
  }
  return value;
}
