import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyHmacSignature } from './webhooks.ts';

const body = '{"action":"opened"}';
const hex = (alg: string, key: string) => createHmac(alg, key).update(body).digest('hex');

describe('webhook signatures', () => {
  it('accepts the HMAC of the raw body with the prefix (GitHub style)', () => {
    expect(
      verifyHmacSignature({
        header: `sha256=${hex('sha256', 's3cret')}`,
        secret: 's3cret',
        algorithm: 'sha256',
        prefix: 'sha256=',
        rawBody: body,
      }),
    ).toBe(true);
  });
  it('accepts any of several signatures (PagerDuty during a secret rotation)', () => {
    const header = `v1=${hex('sha256', 'old')},v1=${hex('sha256', 'new')}`;
    expect(
      verifyHmacSignature({ header, secret: 'new', algorithm: 'sha256', prefix: 'v1=', rawBody: body }),
    ).toBe(true);
  });
  it('refuses a wrong key, a changed body, a missing header and a missing secret', () => {
    const good = `sha256=${hex('sha256', 's3cret')}`;
    expect(
      verifyHmacSignature({
        header: `sha256=${hex('sha256', 'other')}`,
        secret: 's3cret',
        algorithm: 'sha256',
        prefix: 'sha256=',
        rawBody: body,
      }),
    ).toBe(false);
    expect(
      verifyHmacSignature({
        header: good,
        secret: 's3cret',
        algorithm: 'sha256',
        prefix: 'sha256=',
        rawBody: `${body} `,
      }),
    ).toBe(false);
    expect(
      verifyHmacSignature({ header: undefined, secret: 's3cret', algorithm: 'sha256', rawBody: body }),
    ).toBe(false);
    expect(
      verifyHmacSignature({
        header: good,
        secret: '',
        algorithm: 'sha256',
        prefix: 'sha256=',
        rawBody: body,
      }),
    ).toBe(false);
  });
  it('supports sha1 and sha512 and base64 signatures', () => {
    expect(
      verifyHmacSignature({ header: hex('sha1', 'k'), secret: 'k', algorithm: 'sha1', rawBody: body }),
    ).toBe(true);
    const b64 = createHmac('sha512', 'k').update(body).digest('base64');
    expect(verifyHmacSignature({ header: b64, secret: 'k', algorithm: 'sha512', rawBody: body })).toBe(true);
  });
});
