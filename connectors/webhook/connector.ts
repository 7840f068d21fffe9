import { createHash } from 'node:crypto';
import { type Connector, type RawRecord, readPath, verifyTimestampedSignature } from '@plexus/connector-sdk';
import { compileJsonata, type JsonataExpression } from '@plexus/contract';
import { type WebhookConfig, webhookConfig } from './config.ts';

const compiled = new Map<string, JsonataExpression>();

/**
 * `webhook`: a generic signed inbound source. Any system that can POST JSON with an HMAC
 * signature feeds the catalog through a mapping; there is no full sync (nothing to poll).
 */
export const webhookConnector: Connector<WebhookConfig> = {
  type: 'webhook',
  title: 'Signed webhook',
  description:
    'Receives signed JSON deliveries (HMAC of timestamp and body, replays refused) and maps them with JSONata.',
  config: webhookConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  webhook: {
    verify(headers, rawBody, config) {
      return verifyTimestampedSignature({
        signature: headers[config.signatureHeader.toLowerCase()],
        timestamp: headers[config.timestampHeader.toLowerCase()],
        secret: config.secret,
        algorithm: config.algorithm,
        prefix: config.prefix ?? '',
        toleranceSeconds: config.toleranceSeconds,
        rawBody,
      });
    },
    replayKeys(headers, _body, config) {
      // The signature covers the timestamp and the body: the same signed delivery twice is a
      // replay, whatever else was changed around it. The delivery id is the sender's nonce.
      const keys = [`signature:${createHash('sha256').update(headers[config.signatureHeader.toLowerCase()] ?? '').digest('hex')}`];
      const id = headers[config.deliveryHeader.toLowerCase()];
      if (id) keys.push(`delivery:${id}`);
      return keys;
    },
    async toDeltas(_headers, body, config) {
      const list = config.items ? readPath(body, config.items) : body;
      const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
      const upserts: RawRecord[] = [];
      const deletes: RawRecord[] = [];
      let when: JsonataExpression | undefined;
      if (config.deleteWhen) {
        when = compiled.get(config.deleteWhen) ?? compileJsonata(config.deleteWhen);
        compiled.set(config.deleteWhen, when);
      }
      for (const data of items) {
        const record = { kind: config.kind, data };
        if (when && (await when.evaluate(data)) === true) deletes.push(record);
        else upserts.push(record);
      }
      return { upserts, deletes };
    },
  },
};
