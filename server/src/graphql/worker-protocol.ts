import type { ErrorDetail } from '../errors.ts';
import type { ExecutionContext, PlexusMethod } from './build-schema.ts';
import type { GraphqlLimits } from './limits.ts';

/** What a GraphQL worker is started with (`workerData`). */
export interface WorkerSettings {
  neo4j: {
    uri: string;
    user: string;
    password: string;
    database?: string;
    connectTimeoutMs?: number;
    maxRetryMs?: number;
  };
  poolSize: number;
  /** Depth, alias, root-field and cost limits, checked before graphql-js validation. */
  limits: GraphqlLimits;
}

/** Messages from the main thread to a GraphQL worker. */
export type ToWorker =
  /** Build the schema of a model (a Map of blueprints, cloned). */
  | {
      type: 'build';
      model: unknown;
      version: number;
      ownerRelation: string;
      /** Build at a lower thread priority: another worker serves meanwhile, nobody waits for this one. */
      background?: boolean;
    }
  /** A /graphql HTTP request, already authenticated; the context carries no caller. */
  | {
      type: 'http';
      id: number;
      method: string;
      url: string;
      headers: [string, string][];
      body: ArrayBuffer | null;
      context: ExecutionContext;
    }
  /** Check a saved GraphQL query against the schema; with `variables`, against the limits instead. */
  | { type: 'validate'; id: number; query: string; variables?: Record<string, unknown> }
  /** Run a saved GraphQL query. */
  | {
      type: 'execute';
      id: number;
      query: string;
      variables: Record<string, unknown>;
      context: ExecutionContext;
    }
  /** The answer to a `call` the worker made. */
  | { type: 'call-result'; callId: number; ok: true; value: unknown }
  | { type: 'call-result'; callId: number; ok: false; error: SerializedError }
  | { type: 'stop' };

/** Messages from a GraphQL worker to the main thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'built'; version: number; buildMs: number; heapBytes: number; error?: string }
  | {
      type: 'http-done';
      id: number;
      version: number;
      status: number;
      headers: [string, string][];
      body: ArrayBuffer;
      /** Answered by a compiled list read (compiled-lists.ts), not by graphql-yoga. */
      compiled?: boolean;
    }
  | { type: 'validated'; id: number; messages: string[] }
  | { type: 'executed'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: string }
  /** One of Plexus's own resolvers, run on the main thread for request `request`'s caller. */
  | { type: 'call'; callId: number; request: number; method: PlexusMethod; args: Record<string, unknown> }
  | { type: 'log'; message: string; err: string };

/** A PlexusError (kept: message, code, status, details) or anything else (masked). */
export type SerializedError =
  | { plexus: true; name: string; status: number; code: string; message: string; details: ErrorDetail[] }
  | { plexus: false; message: string };
