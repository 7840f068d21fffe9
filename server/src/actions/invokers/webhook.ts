import { checkExpression, evaluateExpression, isExpression, type WebhookInvoker } from '@plexus/contract';
import { mask } from '../secrets.ts';
import type { InvocationPayload, Invoker } from '../types.ts';
import { deliverSigned } from './signed-delivery.ts';

const methods = ['POST', 'PUT', 'PATCH'];
const headerName = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers an action may not set: the signature's, and those the HTTP client owns. */
const reservedHeaders = new Set([
  'x-plexus-timestamp',
  'x-plexus-signature',
  'x-plexus-event',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
]);

async function headersOf(
  config: WebhookInvoker,
  payload: InvocationPayload,
  event: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    const v = isExpression(value) ? await evaluateExpression(value, payload) : value;
    if (v !== undefined && v !== null) out[name] = String(v);
  }
  out['x-plexus-event'] = event;
  return out;
}

/**
 * The signed webhook: POSTs the invocation payload (or the body template's result) with
 * `x-plexus-timestamp` and `x-plexus-signature`, through the egress policy, retrying 5xx and
 * network errors with backoff. A 2xx means the executor has the run; it reports back with the
 * run token. Cancelling sends `{"event": "run.cancelled", "run": {"id"}}` the same way.
 */
export const webhookInvoker: Invoker<WebhookInvoker> = {
  type: 'webhook',
  secretFields: ['secret'],
  validate(config) {
    const out: { path: string; message: string }[] = [];
    for (const k of Object.keys(config)) {
      if (!['type', 'url', 'method', 'headers', 'body', 'secret', 'timeoutMs', 'retries'].includes(k))
        out.push({
          path: k,
          message: `unknown key "${k}"; a webhook invoker has url, method, headers, body, secret, timeoutMs and retries`,
        });
    }
    let url: URL | null = null;
    try {
      url = new URL(String(config.url));
    } catch {}
    if (!url || !['http:', 'https:'].includes(url.protocol))
      out.push({
        path: 'url',
        message: 'url must be the http(s) URL of the executor, e.g. https://deployer.internal/hooks/plexus',
      });
    else if (url.username || url.password)
      out.push({
        path: 'url',
        message: 'url may not hold credentials; use secret (the signature) or headers',
      });
    if (config.method !== undefined && !methods.includes(config.method))
      out.push({ path: 'method', message: `method must be one of ${methods.join(', ')}` });
    if (config.headers !== undefined) {
      if (typeof config.headers !== 'object' || config.headers === null || Array.isArray(config.headers))
        out.push({
          path: 'headers',
          message: 'headers must be an object of header name → value (or {"jsonata": "..."})',
        });
      else
        for (const [name, value] of Object.entries(config.headers as Record<string, unknown>)) {
          if (!headerName.test(name))
            out.push({ path: `headers/${name}`, message: 'not a valid header name' });
          else if (reservedHeaders.has(name.toLowerCase()))
            out.push({ path: `headers/${name}`, message: `"${name}" is set by Plexus; remove it` });
          if (isExpression(value)) {
            const problem = checkExpression(value.jsonata);
            if (problem) out.push({ path: `headers/${name}`, message: problem });
          } else if (typeof value !== 'string')
            out.push({
              path: `headers/${name}`,
              message: 'a header value is a string or {"jsonata": "..."}',
            });
        }
    }
    if (config.body !== undefined) {
      if (!isExpression(config.body))
        out.push({ path: 'body', message: 'body must be {"jsonata": "..."} over the invocation payload' });
      else {
        const problem = checkExpression(config.body.jsonata);
        if (problem) out.push({ path: 'body', message: problem });
      }
    }
    if (
      config.secret !== undefined &&
      (typeof config.secret !== 'string' || (config.secret !== mask && config.secret.length < 16))
    ) {
      out.push({
        path: 'secret',
        message:
          'secret must be a string of at least 16 characters (the HMAC key the executor verifies with)',
      });
    }
    if (
      config.timeoutMs !== undefined &&
      (!Number.isInteger(config.timeoutMs) || config.timeoutMs < 100 || config.timeoutMs > 120_000)
    )
      out.push({ path: 'timeoutMs', message: 'timeoutMs must be a whole number from 100 to 120000' });
    if (
      config.retries !== undefined &&
      (!Number.isInteger(config.retries) || config.retries < 0 || config.retries > 10)
    )
      out.push({ path: 'retries', message: 'retries must be a whole number from 0 to 10' });
    return out;
  },

  async invoke(ctx) {
    const { config, payload } = ctx;
    let body: string;
    let headers: Record<string, string>;
    try {
      body = JSON.stringify(config.body ? await evaluateExpression(config.body, payload) : payload) ?? 'null';
      headers = await headersOf(config, payload, 'run.requested');
    } catch (err) {
      return {
        outcome: 'done',
        status: 'FAILURE',
        summary: `the webhook's body or header template failed: ${(err as Error).message}`,
      };
    }
    const result = await deliverSigned(ctx.egress, {
      url: config.url,
      method: config.method,
      headers,
      body,
      secret: config.secret,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      signal: ctx.signal,
    });
    if (result.ok) {
      // An executor may answer with where to follow the run: {"link": "https://..."}.
      let link: string | undefined;
      try {
        const answer = JSON.parse(result.responseText ?? '') as { link?: unknown };
        if (
          typeof answer?.link === 'string' &&
          /^https?:\/\/\S+$/.test(answer.link) &&
          answer.link.length <= 2000
        )
          link = answer.link;
      } catch {}
      return { outcome: 'accepted', ...(link ? { link } : {}) };
    }
    return {
      outcome: 'done',
      status: 'FAILURE',
      summary: `the executor did not take the run: ${result.reason ?? `status ${result.status}`}`,
    };
  },

  async cancel(ctx) {
    const { config, payload } = ctx;
    const body = JSON.stringify({
      event: 'run.cancelled',
      run: { id: payload.run.id },
      action: payload.action,
    });
    const headers = await headersOf(config, payload, 'run.cancelled').catch(() => ({
      'x-plexus-event': 'run.cancelled',
    }));
    await deliverSigned(ctx.egress, {
      url: config.url,
      method: config.method,
      headers,
      body,
      secret: config.secret,
      timeoutMs: config.timeoutMs,
      retries: 0,
    });
  },
};
