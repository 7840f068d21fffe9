import jsonata from 'jsonata';
import type { Connector, RawRecord } from '../sdk/contract.ts';
import { readPath } from '../sdk/http-client.ts';
import { verifyHmacSignature } from '../sdk/webhooks.ts';
import { type WebhookConfig, webhookConfig } from './config.ts';

const compiled = new Map<string, ReturnType<typeof jsonata>>();

/**
 * `webhook`: a generic signed inbound source. Any system that can POST JSON with an HMAC
 * signature feeds the catalog through a mapping; there is no full sync (nothing to poll).
 */
export const webhookConnector: Connector<WebhookConfig> = {
  type: 'webhook',
  title: 'Signed webhook',
  description:
    'Receives signed JSON deliveries (HMAC with a configurable header, algorithm and prefix) and maps them with JSONata.',
  config: webhookConfig,
  defaultMapping: new URL('./mapping.yaml', import.meta.url),
  webhook: {
    verify(headers, rawBody, config) {
      return verifyHmacSignature({
        header: headers[config.signatureHeader.toLowerCase()],
        secret: config.secret,
        algorithm: config.algorithm,
        prefix: config.prefix,
        rawBody,
      });
    },
    async toDeltas(_headers, body, config) {
      const list = config.items ? readPath(body, config.items) : body;
      const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
      const upserts: RawRecord[] = [];
      const deletes: RawRecord[] = [];
      let when: ReturnType<typeof jsonata> | undefined;
      if (config.deleteWhen) {
        when = compiled.get(config.deleteWhen) ?? jsonata(config.deleteWhen);
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
