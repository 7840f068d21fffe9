/**
 * The connector contract. A connector only fetches: it reads its source (an API, files, a
 * cluster) and yields raw records. It never touches the database and never decides what an
 * entity is; a declarative mapping (`mapping.yaml`, JSONata) turns records into entities and the
 * SDK's sync engine writes them through the catalog and reconciles.
 *
 * Everything with a side effect (HTTP, time, logs, cancellation) arrives in `ctx`, so tests run
 * a connector against a local fake server with a fake clock.
 *
 * @example
 * export const connector: Connector<MyConfig> = {
 *   type: 'my-source',
 *   title: 'My source',
 *   config: defineConfig({ baseUrl: field.url(), token: field.secret() }),
 *   defaultMapping: new URL('./mapping.yaml', import.meta.url),
 *   async *fetch(config, ctx) {
 *     const http = ctx.http({ baseUrl: config.baseUrl, headers: { authorization: `Bearer ${config.token}` } });
 *     for await (const page of http.paginate('/items', { strategy: 'link' })) {
 *       for (const item of page.items as unknown[]) yield { kind: 'item', data: item };
 *     }
 *   },
 * };
 */
import type { ConfigSchema } from './config-schema.ts';
import type { EgressPolicy } from './egress.ts';
import type { FilePolicy } from './file-policy.ts';
import type { HttpClient, HttpClientOptions } from './http-client.ts';
import type { MappingDocument, MappingFunctions } from './mapping.ts';

/** One record as the source returned it, tagged with the resource kind the mapping selects on. */
export interface RawRecord {
  /** Resource kind, e.g. `repository`, `team`, `Component`; mapping entries are chosen by it. */
  kind: string;
  /** The payload exactly as the source gave it (parsed JSON/YAML); the mapping reads it. */
  data: unknown;
  /**
   * Where the record came from, for error messages: a file and document number, a URL and
   * page. Optional; the sync engine always adds the record's position in the stream.
   */
  origin?: string;
}

/** Structured logger handed to a connector; fields are redacted for secret-looking keys. */
export interface ConnectorLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Time, injectable so tests control waits (rate limits, backoff, schedules). */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A problem with one record or one part of the source that does not stop the run. */
export interface FetchProblem {
  message: string;
  /** What could not be read: a file, a URL, a kind. */
  origin?: string;
  kind?: string;
  /**
   * The record was still read, only partly (e.g. a Backstage placeholder kept as a reference):
   * stored on the run like any problem, but the run is not `partial` and reconciliation goes on.
   */
  warning?: boolean;
}

/** What a connector gets from the SDK. */
export interface ConnectorContext {
  /** The source's identifier (`plexus.yaml` or `POST /api/v1/sources`). */
  sourceId: string;
  /** Creates an HTTP client with pagination, rate-limit handling, retries and a base URL. */
  http(options?: HttpClientOptions): HttpClient;
  clock: Clock;
  logger: ConnectorLogger;
  /** Aborted when the run is cancelled or the server stops; pass it on to long work. */
  signal: AbortSignal;
  /** Folder relative paths in the config are resolved against (where plexus.yaml lives). */
  baseDir: string;
  /**
   * The server's file policy: every file a connector reads goes through a scope of it
   * (`files.scope(configuredPaths, { baseDir })`), so paths resolve, after realpath, inside the
   * source's own roots and never under the data directory, `/proc`, `/sys` or `/etc`.
   */
  files: FilePolicy;
  /**
   * The server's egress policy, which `http` clients already go through; for the rare outbound
   * call that is not HTTP through the SDK (a `git clone`), check the destination with it first.
   */
  egress: EgressPolicy;
  /**
   * Reports a part of the source that could not be read (a broken file, a 404 for one repo).
   * The run goes on, is marked `partial`, and reconciliation deletes nothing: what was not read
   * is not gone. Throwing from `fetch` instead fails the whole run (also deleting nothing).
   */
  reportProblem(problem: FetchProblem): void;
}

/** Incoming webhook headers, lower-cased names. */
export type WebhookHeaders = Readonly<Record<string, string>>;

/**
 * What one webhook delivery changes: records to upsert, and records whose entities this source
 * no longer reports. A delete record needs only the fields the mapping's `identifier` (and
 * `selector`/`blueprint`) read.
 */
export interface WebhookDeltas {
  upserts: RawRecord[];
  deletes: RawRecord[];
}

/**
 * Optional webhook support. The SDK calls `verify` with the raw body before parsing anything;
 * a `false` is answered with 401 and nothing is changed.
 */
export interface WebhookHandler<C> {
  /** Checks the delivery's signature (HMAC, token, ...) against the config's secret. Constant-time. */
  verify(headers: WebhookHeaders, rawBody: string, config: C): boolean | Promise<boolean>;
  /**
   * Turns a verified delivery into deltas. `body` is the parsed JSON body. Return empty lists for
   * events the connector ignores (the SDK answers 202 either way). May use `ctx` to fetch
   * details the event lacks.
   */
  toDeltas(
    headers: WebhookHeaders,
    body: unknown,
    config: C,
    ctx: ConnectorContext,
  ): WebhookDeltas | Promise<WebhookDeltas>;
  /**
   * What identifies this delivery, once verified (`body` parsed): the server remembers these
   * keys (per source, for a day) and refuses a delivery whose key it has seen with 409, nothing
   * changed. Use ids the sender signs where it can (a signature over a timestamp, an id inside
   * the signed body); an unsigned delivery-id header only stops honest re-deliveries.
   */
  replayKeys?(headers: WebhookHeaders, body: unknown, config: C): string[];
}

/** A connector type: what `type:` in a source's definition names. */
export interface Connector<C = unknown> {
  /** `backstage`, `github`, `kubernetes`, `terraform`, `pagerduty`, `http-json`, `webhook`. */
  type: string;
  title: string;
  description?: string;
  /**
   * Parses and checks the source's `config`. Throws `ConfigInvalidError` listing every problem
   * with its path. Fields marked secret are write-only: stored, never returned or logged.
   */
  config: ConfigSchema<C>;
  /** The mapping used when a source defines none: a `mapping.yaml` beside the connector, or inline. */
  defaultMapping: URL | MappingDocument;
  /**
   * Extra JSONata functions for this connector's mappings, e.g. `$entityRef(ref, 'group')` for
   * Backstage. Parsing a source's own formats belongs here, not in the mapping text.
   */
  mappingFunctions?: MappingFunctions;
  /**
   * Reads the whole source (a full sync). Yields records as they arrive, so long syncs stream
   * and show progress. Absent for webhook-only connectors, which have no full sync.
   */
  fetch?(config: C, ctx: ConnectorContext): AsyncIterable<RawRecord>;
  webhook?: WebhookHandler<C>;
  /**
   * The files and folders a parsed config names, with their JSON pointers in the config
   * (`/paths/0`). The server checks them against its allowed roots when the source is saved and
   * refuses the source (422) if one is outside.
   */
  filePaths?(config: C): { pointer: string; path: string }[];
}

export type { ConfigSchema } from './config-schema.ts';
