import type { Blueprint, StoredEntity } from './model.ts';

/**
 * Change events (what the catalog emits after a write: audit, automations, scorecards and live UI
 * updates listen) and audit records as `GET /api/v1/audit` answers them.
 */

/** Who wrote, from where: stamped on nodes and carried by every change event. */
export interface WriteContext {
  /** User or token name. */
  actor: string;
  /** Provenance: `api`, `graphql`, `cli`, `demo`, `migration` (a forced blueprint change), or `connector:<source>`. */
  source: string;
  /** Action run or sync run that made the write. */
  runId?: string;
  /** The `plexus apply` set the write belongs to (`x-plexus-apply-set`), recorded on what it writes. */
  applySet?: string;
}

/** A change to one entity, emitted after the write committed. */
export interface EntityChangeEvent {
  type: 'entity.created' | 'entity.updated' | 'entity.deleted';
  blueprint: string;
  identifier: string;
  before: StoredEntity | null;
  after: StoredEntity | null;
  actor: string;
  source: string;
  runId?: string;
  at: string;
}

/** A change to the model, emitted after the blueprint was stored. */
export interface BlueprintChangeEvent {
  type: 'blueprint.created' | 'blueprint.updated' | 'blueprint.deleted';
  blueprint: string;
  before?: Blueprint | null;
  after?: Blueprint | null;
  actor: string;
  /** Origin of the request (`api`, `ui`, `cli`); absent means `api`. */
  source?: string;
  at: string;
}

/**
 * An entity moved to another level of a scorecard, emitted after the result was stored (the first
 * result of an entity is not a change). `entity` is the entity's identifier.
 */
export interface ScorecardLevelChangedEvent {
  type: 'scorecard.levelChanged';
  scorecard: string;
  blueprint: string;
  entity: string;
  from: string;
  to: string;
  /** Positions of `from` and `to` in the scorecard's levels (lowest first), when known: a drop is `toIndex < fromIndex`. */
  fromIndex?: number | null;
  toIndex?: number | null;
  /** `scorecard:<identifier>`: an evaluation, not a person, changed the level. */
  actor: string;
  at: string;
}

/** Administered objects other than entities and blueprints whose changes are audited. */
export type AdminObjectKind = 'scorecard' | 'source' | 'user' | 'team' | 'token' | 'query' | 'view' | 'action' | 'automation' | 'run';

/**
 * A change to an administered object, recorded right after it was stored. `subject` is the
 * object's identifier (a token's id, a user's id); `blueprint` the blueprint it belongs to
 * (scorecards, views), which decides who may read the event. Snapshots never hold secrets:
 * tokens without secret or hash, sources without their secret config values.
 */
export interface AdminChangeEvent<K extends AdminObjectKind = AdminObjectKind> {
  type: `${K}.created` | `${K}.updated` | `${K}.deleted` | (K extends 'source' ? 'source.syncStarted' : never);
  kind: K;
  subject: string;
  blueprint?: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  actor: string;
  /** Origin: `api`, `ui`, `cli`... as in `WriteContext.source`. */
  source: string;
  /** The sync run a `source.syncStarted` started. */
  runId?: string;
  at: string;
}

export type ChangeEvent = EntityChangeEvent | BlueprintChangeEvent | ScorecardLevelChangedEvent | AdminChangeEvent;

/** One audit record as the API returns it. */
export interface AuditEvent {
  id: string;
  at: string;
  type: string;
  /** What changed: one of `auditKinds`. */
  kind: AuditKind;
  /**
   * Which one: `blueprint:identifier` for an entity, else the object's identifier (a blueprint's,
   * scorecard's, source's, team's, query's or view's identifier, a user's id, a token's id).
   */
  subject: string;
  actor: string;
  /** Where the change came from: api, ui, cli, graphql, connector:<source>, demo... */
  origin: string;
  runId: string | null;
  /** The entity's or blueprint's blueprint, or the one a scorecard or view belongs to. */
  blueprint: string | null;
  /** The entity's identifier; null for every other kind. */
  identifier: string | null;
  before: unknown;
  after: unknown;
  /**
   * Position in the audit sequence (audit/record-events.cypher): events become visible in this
   * order without gaps. Absent on events recorded before the sequence existed.
   */
  seq?: number;
}

/** Kinds of audited objects, the `kind` filter of `GET /api/v1/audit`. */
export const auditKinds = ['entity', 'blueprint', 'scorecard', 'source', 'user', 'team', 'token', 'query', 'view', 'action', 'automation', 'run'] as const;
export type AuditKind = (typeof auditKinds)[number];
