import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type PlexusUnderTest, startPlexus, uniqueId } from '@plexus/connector-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const delivery = JSON.parse(
  readFileSync(new URL('./__fixtures__/deploy-event.json', import.meta.url), 'utf8'),
);

describe('generic signed webhook source', () => {
  let plexus: PlexusUnderTest;
  let blueprint: string;
  const secret = 'whsec-test-7f3a';

  beforeAll(async () => {
    plexus = await startPlexus();
    blueprint = uniqueId('deploy');
    const res = await plexus.call('POST', '/api/v1/blueprints', {
      identifier: blueprint,
      title: 'Deployment',
      schema: {
        properties: {
          version: { type: 'string' },
          environment: { type: 'string' },
          status: { type: 'string' },
        },
        required: ['version'],
      },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => plexus.close());

  async function register(config: Record<string, unknown> = {}) {
    const id = uniqueId('deploys-');
    const res = await plexus.call('POST', '/api/v1/sources', {
      identifier: id,
      type: 'webhook',
      config: {
        secret,
        signatureHeader: 'X-Deployer-Signature',
        algorithm: 'sha256',
        prefix: 'sha256=',
        items: 'deployments',
        deleteWhen: "action = 'deleted'",
        ...config,
      },
      mapping: {
        mappings: [
          {
            kind: 'event',
            blueprint,
            // Identifiers carry the source id, so the tests of this file never share an entity.
            identifier: `'${id}/' & service & '@' & environment`,
            title: "service & ' in ' & environment",
            properties: { version: 'version', environment: 'environment', status: 'status' },
          },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return id;
  }

  // Signed as the source expects: HMAC-SHA256 of "<timestamp>.<raw body>", with this sender's prefix.
  const now = () => String(Math.floor(Date.now() / 1000));
  const sign = (body: string, key = secret, timestamp = now()) =>
    `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
  const post = (id: string, body: string, signature: string | null, timestamp = now()) =>
    plexus.call('POST', `/webhooks/${id}`, body, {
      token: null,
      headers: {
        'content-type': 'application/json',
        'x-plexus-timestamp': timestamp,
        ...(signature ? { 'x-deployer-signature': signature } : {}),
      },
    });

  it('applies a signed delivery at once, without a token and without a full sync', async () => {
    const id = await register();
    const body = JSON.stringify(delivery);
    const res = await post(id, body, sign(body));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ created: 2, updated: 0, deleted: 0, errors: [] });
    const got = await plexus.call(
      'GET',
      `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${id}/cart@production`)}`,
    );
    expect(got.body).toMatchObject({
      title: 'cart in production',
      properties: { version: '2.4.1', status: 'succeeded' },
      meta: { sources: [`connector:${id}`] },
    });
    const source = await plexus.call('GET', `/api/v1/sources/${id}`);
    expect(source.body.webhook).toMatchObject({ path: `/webhooks/${id}`, lastDelivery: { created: 2 } });
    expect(source.body.config.secret).toBeUndefined();
    expect(source.body.secretsSet).toEqual(['secret']);
  });

  it('answers 401 to a bad or missing signature and changes nothing', async () => {
    const id = await register({ signatureHeader: 'x-sig-b', prefix: null });
    const body = JSON.stringify({ deployments: [{ ...delivery.deployments[0], service: 'forged' }] });
    const ts = now();
    const headers = (signature: string) => ({ 'content-type': 'application/json', 'x-plexus-timestamp': ts, 'x-sig-b': signature });
    const wrongKey = await plexus.call('POST', `/webhooks/${id}`, body, { token: null, headers: headers(sign(body, 'not-the-secret', ts).slice(7)) });
    expect(wrongKey.status).toBe(401);
    const missing = await plexus.call('POST', `/webhooks/${id}`, body, { token: null });
    expect(missing.status).toBe(401);
    const tampered = await plexus.call('POST', `/webhooks/${id}`, body.replace('forged', 'forgee'), { token: null, headers: headers(sign(body, secret, ts).slice(7)) });
    expect(tampered.status).toBe(401);
    // A body signed without the timestamp (the old scheme) is not accepted either.
    const untimed = await plexus.call('POST', `/webhooks/${id}`, body, {
      token: null,
      headers: headers(createHmac('sha256', secret).update(body).digest('hex')),
    });
    expect(untimed.status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    const old = await plexus.call('POST', `/webhooks/${id}`, body, {
      token: null,
      headers: { ...headers(sign(body, secret, stale).slice(7)), 'x-plexus-timestamp': stale },
    });
    expect(old.status).toBe(401);
    const got = await plexus.call(
      'GET',
      `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${id}/forged@production`)}`,
    );
    expect(got.status).toBe(404);
    expect((await plexus.call('GET', `/api/v1/sources/${id}/entities`)).body.entities).toEqual([]);
  });

  it('updates on a later delivery and deletes when the item says so, only what it wrote', async () => {
    const id = await register();
    const first = JSON.stringify(delivery);
    expect((await post(id, first, sign(first))).status).toBe(202);
    // A person's entity with the same shape: a delete delivery naming it must leave it alone.
    await plexus.call('POST', `/api/v1/blueprints/${blueprint}/entities`, {
      identifier: `${id}/manual@production`,
      properties: { version: '1' },
    });
    const next = JSON.stringify({
      deployments: [
        { ...delivery.deployments[0], version: '2.4.2' },
        { ...delivery.deployments[1], action: 'deleted' },
        { service: 'manual', environment: 'production', action: 'deleted' },
      ],
    });
    const res = await post(id, next, sign(next));
    expect(res.body).toMatchObject({ updated: 1, deleted: 1 });
    expect(
      (
        await plexus.call(
          'GET',
          `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${id}/cart@production`)}`,
        )
      ).body.properties.version,
    ).toBe('2.4.2');
    expect(
      (
        await plexus.call(
          'GET',
          `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${id}/search@staging`)}`,
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await plexus.call(
          'GET',
          `/api/v1/blueprints/${blueprint}/entities/${encodeURIComponent(`${id}/manual@production`)}`,
        )
      ).status,
    ).toBe(200);
  });

  it('reports records the blueprint refuses and applies the rest', async () => {
    const id = await register();
    const body = JSON.stringify({
      deployments: [delivery.deployments[0], { service: 'broken', environment: 'dev' }],
    });
    const res = await post(id, body, sign(body));
    expect(res.status).toBe(202);
    expect(res.body.created).toBe(1);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatchObject({ stage: 'validation' });
    expect(res.body.errors[0].message).toMatch(/version/);
  });

  it('answers an unknown source exactly like a bad signature, and 409 to a sync of a webhook-only source', async () => {
    const unknown = await post('no-such-source', '{}', sign('{}'));
    const id0 = await register();
    const bad = await post(id0, '{}', sign('{}', 'not-the-secret'));
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(bad.body);
    const id = await register();
    expect((await plexus.call('POST', `/api/v1/sources/${id}/sync`)).status).toBe(409);
  });

  it('refuses a replayed delivery with 409 and keeps the newer state', async () => {
    const id = await register();
    const key = encodeURIComponent(`${id}/cart@production`);
    const first = JSON.stringify({ deployments: [delivery.deployments[0]] });
    const ts = now();
    const firstSig = sign(first, secret, ts);
    expect((await post(id, first, firstSig, ts)).status).toBe(202);
    const next = JSON.stringify({ deployments: [{ ...delivery.deployments[0], version: '9.9.9' }] });
    expect((await post(id, next, sign(next))).status).toBe(202);
    // The first delivery again, byte for byte (within the tolerance window): refused.
    const replay = await post(id, first, firstSig, ts);
    expect(replay.status).toBe(409);
    expect(replay.body.error.message).toMatch(/received before/);
    // The same delivery id again, even freshly signed: refused too.
    const withId = (body: string, deliveryId: string) =>
      plexus.call('POST', `/webhooks/${id}`, body, {
        token: null,
        headers: { 'content-type': 'application/json', 'x-plexus-timestamp': now(), 'x-deployer-signature': sign(body), 'x-plexus-delivery': deliveryId },
      });
    const deliveryId = uniqueId('delivery-');
    const third = JSON.stringify({ deployments: [{ ...delivery.deployments[0], version: '9.9.10' }] });
    expect((await withId(third, deliveryId)).status).toBe(202);
    const again = JSON.stringify({ deployments: [{ ...delivery.deployments[0], version: '1.0.0' }] });
    expect((await withId(again, deliveryId)).status).toBe(409);
    const got = await plexus.call('GET', `/api/v1/blueprints/${blueprint}/entities/${key}`);
    expect(got.body.properties.version).toBe('9.9.10');
  });

  it('answers 400 to a signed body that is not JSON, changing nothing', async () => {
    const id = await register();
    const res = await post(id, 'not json', sign('not json'));
    expect(res.status).toBe(400);
  });
});
