import type { Grant, StoredEntity } from './model.ts';
import type { Rule } from './search-rules.ts';

/**
 * Actions, runs and automations as REST, GraphQL and the UI see them (docs/actions.md; REST in
 * docs/api.md "Actions and runs"). The server's own parts (invokers, the service) are in
 * server/src/actions/types.ts.
 */

export const actionOperations = ['CREATE', 'DAY-2', 'DELETE'] as const;
export type ActionOperation = (typeof actionOperations)[number];

export const runStatuses = [
  'WAITING_FOR_APPROVAL',
  'IN_PROGRESS',
  'SUCCESS',
  'FAILURE',
  'DECLINED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type RunStatus = (typeof runStatuses)[number];
/** A run in one of these never changes again; its token is dead. */
export const terminalStatuses: readonly RunStatus[] = [
  'SUCCESS',
  'FAILURE',
  'DECLINED',
  'CANCELLED',
  'TIMED_OUT',
];

/** Who may run or approve: the blueprint grant shape, plus `roles` meaning "this role or stronger". */
export type ActionGrant = Grant;

/**
 * One input of an action's form: a JSON Schema property plus UI hints. Expressions (`visible`,
 * `required`, `default`, `enum` given as `{ "jsonata": "..." }`) are JSONata over
 * `{ form, entity, user }` (the form's current values, the target entity, the caller).
 */
export interface ActionInput {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  title?: string;
  description?: string;
  /** `date-time`, `multi-line`, `secret`, `entity`, `user`, `team`, `email`, `url`. */
  format?: 'date-time' | 'multi-line' | 'secret' | 'entity' | 'user' | 'team' | 'email' | 'url';
  /** With `format: entity`: the blueprint to pick from, optionally narrowed by search rules. */
  blueprint?: string;
  dataset?: { combinator?: 'and' | 'or'; rules: Rule[] };
  enum?: unknown[] | { jsonata: string };
  default?: unknown | { jsonata: string };
  visible?: boolean | { jsonata: string };
  required?: boolean | { jsonata: string };
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: {
    type: 'string' | 'number' | 'integer' | 'boolean';
    enum?: unknown[];
    format?: string;
    blueprint?: string;
  };
  minItems?: number;
  maxItems?: number;
}

/** The form of an action: JSON Schema `properties`/`required`, plus optional multi-page steps. */
export interface ActionInputs {
  properties: Record<string, ActionInput>;
  required?: string[];
  /** Pages of the form, in order; every property appears in exactly one step. */
  steps?: { title: string; properties: string[] }[];
  /** Display order when there are no steps. */
  order?: string[];
}

export interface WebhookInvoker {
  type: 'webhook';
  url: string;
  method?: 'POST' | 'PUT' | 'PATCH';
  /** Extra headers; values may be JSONata templates `{ "jsonata": "..." }` over the invocation payload. */
  headers?: Record<string, string>;
  /** Body template (JSONata over the invocation payload); default the documented payload. */
  body?: { jsonata: string };
  /** HMAC key; write-only (stored encrypted, answered as `"********"`). */
  secret?: string;
  timeoutMs?: number;
  /** Retries on 5xx and network errors (never on 4xx), with exponential backoff. Default 2. */
  retries?: number;
}

export interface GithubInvoker {
  type: 'github';
  /** Default https://api.github.com; GitHub Enterprise: https://<host>/api/v3. */
  baseUrl?: string;
  owner: string;
  repo: string;
  /** Workflow file name or id. */
  workflow: string;
  ref: string;
  /** Workflow inputs: a JSONata template over the invocation payload; default the action's inputs. */
  inputs?: { jsonata: string };
  /** Write-only token (stored encrypted). */
  token?: string;
  /** Poll the workflow run this dispatch started and copy its conclusion and URL to the run. */
  reportStatus?: boolean;
}

export interface GitlabInvoker {
  type: 'gitlab';
  /** Default https://gitlab.com; self-managed: its root URL. */
  baseUrl?: string;
  /** Project id or url-encoded path. */
  project: string;
  ref: string;
  /** Pipeline variables: a JSONata template over the invocation payload; default the inputs. */
  variables?: { jsonata: string };
  /** Write-only pipeline trigger token (stored encrypted). */
  token?: string;
}

export interface UpsertEntityInvoker {
  type: 'upsert-entity';
  /** JSONata over the invocation payload giving an entity record (or a list) for the one write path. */
  mapping: { jsonata: string };
}

export type InvokerConfig = WebhookInvoker | GithubInvoker | GitlabInvoker | UpsertEntityInvoker;

export interface ActionApproval {
  required: boolean;
  /** ANY: one approval is enough; ALL: every listed approver (users, and one per team/role). */
  type?: 'ANY' | 'ALL';
  /** Who may approve; when absent, `permissions.approve`, else admins. `owners`: the entity's owning team. */
  approvers?: ActionGrant;
}

/** An action definition as the API shows it (secrets masked). Stored as `(:_Action)`. */
export interface ActionDefinition {
  /** The `plexus apply` set that saved it last (absent when saved otherwise); kept by the server. */
  applySet?: string;
  identifier: string;
  title: string;
  description?: string;
  icon?: string;
  /** The blueprint the action creates (CREATE) or operates on (DAY-2, DELETE). */
  blueprint?: string;
  operation: ActionOperation;
  /** Which entities a DAY-2/DELETE action applies to (search rules over the target). */
  condition?: { combinator?: 'and' | 'or'; rules: Rule[] };
  inputs: ActionInputs;
  invoker: InvokerConfig;
  approval?: ActionApproval;
  permissions?: { execute?: ActionGrant; approve?: ActionGrant };
  /** A run still IN_PROGRESS this long after it started ends TIMED_OUT. Default 3,600,000 (1 h). */
  timeoutMs?: number;
  createdAt?: string;
  updatedAt?: string;
  createdBy?: string;
  updatedBy?: string;
}

export interface RunLogLine {
  /** Position in the run's log, from 1: the SSE event id and the paging cursor. */
  seq: number;
  at: string;
  message: string;
  level?: 'info' | 'warn' | 'error';
}

export interface RunApproval {
  by: string;
  decision: 'approve' | 'decline';
  reason?: string;
  at: string;
}

/** A run as REST and GraphQL show it (API.md "Actions and runs"). Stored as `(:_Run)`. */
export interface Run {
  id: string;
  action: string;
  /** `blueprint:identifier`, or null for a CREATE action without a target. */
  entity: string | null;
  status: RunStatus;
  statusLabel: string | null;
  /** Secret inputs masked as "********". */
  inputs: Record<string, unknown>;
  /** The first page of the log (the rest through `GET /runs/{run}/logs?cursor=`). */
  logs: RunLogLine[];
  link: string | null;
  summary: string | null;
  /** `blueprint:identifier` of entities written with `?runId=<run>`. */
  affectedEntities: string[];
  approvals: RunApproval[];
  /** The run this one re-runs, if any. */
  rerunOf: string | null;
  /** User id, or `automation:<identifier>`. */
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/** Something that happened to a run: what the SSE stream sends and automations see. */
export type RunEvent =
  | {
      type: 'status';
      run: string;
      /** The event's number in the run (the SSE id); log lines share the sequence. */
      seq?: number;
      status: RunStatus;
      statusLabel: string | null;
      link: string | null;
      summary: string | null;
      at: string;
    }
  | { type: 'log'; run: string; line: RunLogLine };

/** What fires an automation. */
export type AutomationTrigger =
  | { type: 'entity.created' | 'entity.updated' | 'entity.deleted'; blueprint: string }
  | { type: 'scorecard.levelChanged'; scorecard: string; blueprint?: string }
  | { type: 'run.statusChanged'; action?: string; status?: RunStatus[] }
  /** Fires once per entity when the date property passes (e.g. an environment's `expiresAt`). */
  | { type: 'property.expired'; blueprint: string; property: string };

/** Stored as `(:_Automation)`; REST `/api/v1/automations`. */
export interface AutomationDefinition {
  identifier: string;
  title: string;
  description?: string;
  enabled: boolean;
  trigger: AutomationTrigger;
  /** JSONata over `{ before, after, event }`; fires when it evaluates truthy. Absent: always. */
  condition?: { jsonata: string };
  /**
   * An action run as the automation's own identity (`automation:<identifier>`), with inputs from a
   * JSONata template and the event's entity as target unless `entity` says otherwise; or a signed webhook.
   */
  target:
    | { type: 'action'; action: string; inputs?: { jsonata: string }; entity?: { jsonata: string } }
    | { type: 'webhook'; url: string; secret?: string; headers?: Record<string, string> };
  createdAt?: string;
  updatedAt?: string;
  createdBy?: string;
}

/** What the form rules decide about one input, given the form's values, the target entity and the caller. */
export interface FieldState {
  visible: boolean;
  required: boolean;
  enum?: unknown[];
  default?: unknown;
}

/** The scope form expressions (JSONata) see. */
export interface FormScope {
  form: Record<string, unknown>;
  entity: StoredEntity | null;
  user: { id: string; name: string; role: string; teams: string[] };
}

/**
 * Implemented in `form-rules.ts` (isomorphic: no Node imports, the UI uses the same code):
 * `evaluateForm(inputs, scope)` and `validateInputs(inputs, values, scope)` → `{ path: 'inputs.<name>', message }[]`.
 */
export interface FormRules {
  evaluateForm(inputs: ActionInputs, scope: FormScope): Promise<Record<string, FieldState>>;
  validateInputs(
    inputs: ActionInputs,
    values: Record<string, unknown>,
    scope: Omit<FormScope, 'form'>,
  ): Promise<{ path: string; message: string }[]>;
}
