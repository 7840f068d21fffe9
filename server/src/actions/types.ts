import type { EgressPolicy } from '@plexus/connector-sdk';
import type {
  ActionDefinition,
  ActionOperation,
  InvokerConfig,
  Run,
  RunEvent,
  RunLogLine,
  RunStatus,
  StoredEntity,
} from '@plexus/contract';
import type { Principal } from '../auth/principal.ts';
import type { Logger } from '../log.ts';

/**
 * Actions and runs (docs/actions.md; REST in docs/api.md "Actions and runs"). This file is the
 * contract between the parts of `server/src/actions/`: invokers, runs, automations, REST and
 * GraphQL. The shapes the UI shares (definitions, runs, inputs, form rules) live in
 * @plexus/contract.
 */

/** A dry run (nothing stored, nothing audited), and the `plexus apply` set recorded on the action. */
export interface ActionSaveOptions {
  dryRun?: boolean;
  applySet?: string;
}

/** What an invoker gets: the documented webhook payload plus what it needs to reach its engine. */
export interface InvocationPayload {
  run: { id: string; token: string; apiUrl: string };
  action: { identifier: string; title: string; operation: ActionOperation; blueprint: string | null };
  entity: StoredEntity | null;
  /** Inputs in clear (secrets included): only ever sent to the engine, never stored or logged. */
  inputs: Record<string, unknown>;
  trigger: { by: string; at: string };
}

export interface InvocationContext {
  payload: InvocationPayload;
  /** The invoker's configuration with its secrets decrypted. */
  config: InvokerConfig;
  egress: EgressPolicy;
  logger: Logger;
  /** Aborted when the run is cancelled or the server stops. */
  signal: AbortSignal;
  /** Lets an invoker append to the run's log and change its status (status copy, upsert-entity). */
  report: RunReporter;
  /** Who started the run, as its permissions were then (upsert-entity writes as them). */
  actor?: Principal;
}

/**
 * What an invocation ended with. `accepted`: the engine has it (the run stays IN_PROGRESS until the
 * executor reports). `done`: the run ends now with this status (upsert-entity, a failed dispatch).
 */
export type InvocationResult =
  /** `continues`: the invoker keeps working after it answered (a status copy) and needs `signal` until the run ends. */
  | { outcome: 'accepted'; link?: string; statusLabel?: string; continues?: boolean }
  | { outcome: 'done'; status: 'SUCCESS' | 'FAILURE'; summary?: string; link?: string };

export interface RunReporter {
  log(message: string, level?: RunLogLine['level']): Promise<void>;
  update(patch: { status?: RunStatus; statusLabel?: string; link?: string; summary?: string }): Promise<void>;
}

/** One module per invoker type (`invokers/<type>.ts`), registered in `invokers/index.ts`. */
export interface Invoker<C extends InvokerConfig = InvokerConfig> {
  type: C['type'];
  /** Field-level problems of a configuration (`path` relative to `invoker`), for the 422 on save. */
  validate(config: C): { path: string; message: string }[];
  /** Names of the configuration's secret fields (stored encrypted, masked when read). */
  secretFields: readonly string[];
  invoke(ctx: InvocationContext & { config: C }): Promise<InvocationResult>;
  /** Tells the engine a run was cancelled, when it can be told (best effort). */
  cancel?(ctx: InvocationContext & { config: C }): Promise<void>;
}

/** Who starts a run: a person (REST, GraphQL, UI) or an automation (its own identity). */
export interface RunRequest {
  action: string;
  /** `blueprint:identifier` of the target; required for DAY-2 and DELETE. */
  entity?: string | null;
  inputs: Record<string, unknown>;
  /** Automations: the chain depth (0 for a person), cut at a limit to stop loops. */
  depth?: number;
}

/**
 * The service behind REST, GraphQL, the UI and automations. Every method checks permissions with
 * `principal` and audits what it changes.
 */
export interface ActionsService {
  list(
    principal: Principal,
    filter?: { blueprint?: string; entity?: string; operation?: ActionOperation },
  ): Promise<ActionDefinition[]>;
  get(principal: Principal, identifier: string): Promise<ActionDefinition>;
  /** `options.dryRun`: every check, nothing stored or audited; answers the definition as it would be stored. */
  create(principal: Principal, body: () => Promise<unknown>, source: string, options?: ActionSaveOptions): Promise<ActionDefinition>;
  replace(
    principal: Principal,
    identifier: string,
    body: () => Promise<unknown>,
    source: string,
    options?: ActionSaveOptions,
  ): Promise<ActionDefinition>;
  delete(principal: Principal, identifier: string, source: string, options?: ActionSaveOptions): Promise<void>;

  /** Validates inputs (400 naming the field), checks execute permission and the condition, stores the run, invokes or waits for approval. */
  run(principal: Principal, request: RunRequest, source: string): Promise<Run>;
  listRuns(
    principal: Principal,
    filter: {
      action?: string;
      status?: RunStatus;
      entity?: string;
      actor?: string;
      approver?: string;
      limit?: number;
      cursor?: string | null;
    },
  ): Promise<{ runs: Run[]; next: string | null }>;
  getRun(principal: Principal, id: string): Promise<Run>;
  /** The latest runs of each entity (`blueprint:identifier`) the caller may see, newest first: one query for a whole list (GraphQL's `runs` field). */
  runsOf(principal: Principal, entities: string[], limit: number): Promise<Run[][]>;
  logs(
    principal: Principal,
    id: string,
    options: { after?: number; limit?: number },
  ): Promise<{ logs: RunLogLine[]; next: number | null }>;
  approve(
    principal: Principal,
    id: string,
    decision: 'approve' | 'decline',
    reason: string | undefined,
  ): Promise<Run>;
  cancel(principal: Principal, id: string): Promise<Run>;
  rerun(principal: Principal, id: string, source: string): Promise<Run>;
  /** Subscribes to a run's events from after `lastSeq` (SSE resume); returns an unsubscribe. */
  subscribe(
    principal: Principal,
    id: string,
    lastSeq: number,
    onEvent: (event: RunEvent) => void,
    /** Called once the run has ended and every event up to its end was delivered. */
    onEnd?: () => void,
  ): Promise<() => void>;
  /** Executor, authenticated by the run's token (401 when unknown, 403 for another run's or a dead token). */
  report(
    runToken: string,
    id: string,
    patch: { status?: RunStatus; statusLabel?: string; link?: string; summary?: string },
  ): Promise<Run>;
  appendLog(
    runToken: string,
    id: string,
    body: { message: string; terminationStatus?: 'SUCCESS' | 'FAILURE' },
  ): Promise<Run>;
  /** Every run status change, for automations (after commit, this replica). */
  onRunStatus(listener: (run: Run, before: RunStatus | null) => void): () => void;
  stop(): void;
}

