/**
 * Source webhooks: one delivery verified against the source's secret (an unknown source, one
 * without webhooks and a bad signature get the same 401), refused when replayed (its delivery
 * keys are remembered under a uniqueness constraint before anything is applied), turned into
 * deltas by the connector and applied by the SDK's sync engine, and summarised on the source.
 */
import { randomUUID } from 'node:crypto';
import {
  applyDeltas,
  type Clock,
  type ConnectorContext,
  createHttpClient,
  type DeltaResult,
  type EgressPolicy,
  normaliseHeaders,
  type SyncStore,
} from '@plexus/connector-sdk';
import { type Db, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, UnauthorizedError } from '../errors.ts';
import { defaultBodyLimits, parseJsonText } from '../http.ts';
import type { Logger } from '../log.ts';
import { type DefinitionDeps, prepare } from './source-definitions.ts';
import type { SourceStore, StoredSource } from './source-store.ts';
import type { SourcesService } from './sources-service.ts';

/** Verifies and applies one webhook delivery; 401 on a bad signature (nothing changed). */
export type WebhookHandler = SourcesService['handleWebhook'];

/** Creates the webhook handler; `store` is the catalog side of a sync, `sources` the stored definitions. */
export function createWebhookHandler(
  deps: DefinitionDeps & {
    db: Db;
    logger: Logger;
    store: SyncStore;
    sources: Pick<SourceStore, 'load'>;
    clock: Clock;
    egress: EgressPolicy;
    fetch?: typeof fetch;
  },
): WebhookHandler {
  const { db, logger, store, sources, clock, egress, files, baseDir } = deps;

  function connectorContext(sourceId: string, signal: AbortSignal): ConnectorContext {
    const log = logger.child({ source: sourceId });
    return {
      sourceId,
      http: (options = {}) => createHttpClient(options, { fetch: deps.fetch, egress, clock, logger: log, signal }),
      clock,
      logger: log,
      signal,
      baseDir,
      files,
      egress,
      reportProblem: (p) => log.warn('webhook problem', { ...p }),
    };
  }

  return async function handleWebhook(identifier, headers, rawBody) {
    // An unknown source, one without webhooks and a bad signature get the same answer, so the
    // endpoint does not tell which sources exist.
    const refused = () =>
      new UnauthorizedError("webhook signature is missing, stale or does not match the source's secret; nothing was changed");
    let stored: StoredSource;
    try {
      stored = (await sources.load(identifier)).stored;
    } catch {
      logger.warn('webhook for an unknown source', { source: identifier });
      throw refused();
    }
    const prepared = prepare(deps, stored);
    const handler = prepared.connector.webhook;
    if (!handler) throw refused();
    const h = normaliseHeaders(headers);
    if (!(await handler.verify(h, rawBody, prepared.config))) {
      logger.warn('webhook signature rejected', { source: identifier });
      throw refused();
    }
    const body = rawBody.trim() === '' ? null : parseJsonText(rawBody, defaultBodyLimits, 'the webhook body');
    // Remembered before anything is applied: of two copies racing, one wins the constraint.
    const keys = (handler.replayKeys?.(h, body, prepared.config) ?? []).map((k) => `${identifier}\u0000${k}`);
    if (keys.length > 0) {
      const now = Date.now();
      try {
        await writeRows(db, loadQuery('sources/remember-deliveries'), { keys, source: identifier, now, expiresAt: now + 86_400_000 });
      } catch (err) {
        if ((err as { code?: string }).code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
          logger.warn('webhook delivery replayed', { source: identifier });
          throw new ConflictError('this webhook delivery was received before (same delivery id or signature); replays are refused and nothing was changed');
        }
        throw err;
      }
    }
    const runId = `webhook-${randomUUID()}`;
    const controller = new AbortController();
    let result: DeltaResult;
    try {
      const deltas = await handler.toDeltas(h, body, prepared.config, connectorContext(identifier, controller.signal));
      result = await applyDeltas({
        sourceId: identifier,
        deltas,
        mapping: prepared.mapping,
        store,
        runId,
        logger: logger.child({ source: identifier }),
      });
    } catch (err) {
      // Not applied: the sender's retry of this delivery must be accepted.
      if (keys.length > 0) await writeRows(db, loadQuery('sources/forget-deliveries'), { keys }).catch(() => {});
      throw err;
    }
    const summary = {
      at: new Date().toISOString(),
      runId,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      deleted: result.deleted,
      detached: result.detached,
      errors: result.errors.length,
    };
    await writeRows(db, loadQuery('sources/save-webhook'), {
      identifier,
      summary: JSON.stringify(summary),
    }).catch((err) => logger.warn('could not record a webhook delivery', { err }));
    return { ...result, runId };
  };
}
