/**
 * PagerDuty v3 webhooks as deltas. A delivery is verified with `X-PagerDuty-Signature`: one or
 * more comma-separated `v1=<hex HMAC-SHA256 of the raw body>` (several while a secret rotates),
 * any of which may match. An incident event's `data` is a summary of the incident (or a note or
 * responder pointing at it), so the incident is read again through REST: the delta is then the
 * same record a full sync reads.
 */
import { verifyHmacSignature, type WebhookDeltas, type WebhookHandler } from '@plexus/connector-sdk';
import { createPagerDutyClient } from './client.ts';
import type { PagerDutyConfig } from './config.ts';
import { incidentRecord, serviceRecord } from './records.ts';

/** The part of a v3 delivery the handler reads. */
interface Delivery {
  event?: {
    event_type?: string;
    resource_type?: string;
    data?: { id?: string; type?: string; incident?: { id?: string } };
  };
}

const none = (): WebhookDeltas => ({ upserts: [], deletes: [] });

/** The webhook handler of the `pagerduty` connector. */
export const pagerdutyWebhook: WebhookHandler<PagerDutyConfig> = {
  verify(headers, rawBody, config) {
    if (!config.webhookSecret) return false;
    return verifyHmacSignature({
      header: headers['x-pagerduty-signature'],
      secret: config.webhookSecret,
      algorithm: 'sha256',
      prefix: 'v1=',
      rawBody,
    });
  },
  replayKeys(_headers, body) {
    // A v3 event's id is inside the signed body.
    const id = (body as { event?: { id?: unknown } } | null)?.event?.id;
    return typeof id === 'string' && id !== '' ? [`event:${id}`] : [];
  },
  async toDeltas(_headers, body, config, ctx) {
    const event = (body as Delivery | null)?.event;
    const data = event?.data;
    if (!event || !data) return none();
    const pd = createPagerDutyClient(config, ctx);
    if (event.resource_type === 'incident' && config.include.includes('incidents')) {
      // incident.annotated, .responder.*, .status_update_published carry the incident as a reference.
      const id = data.type === 'incident' ? data.id : data.incident?.id;
      if (!id) return none();
      const incident = await pd.getIncident(id);
      const stub = incidentRecord({ id }, config);
      if (!incident) return { upserts: [], deletes: [stub] };
      const record = incidentRecord(incident, config);
      return config.incidentStatuses.includes(incident.status as never)
        ? { upserts: [record], deletes: [] }
        : { upserts: [], deletes: [record] };
    }
    if (event.resource_type === 'service' && config.include.includes('services') && data.id) {
      const service = event.event_type === 'service.deleted' ? null : await pd.getService(data.id);
      return service
        ? { upserts: [serviceRecord(service)], deletes: [] }
        : { upserts: [], deletes: [serviceRecord({ id: data.id })] };
    }
    return none();
  },
};
