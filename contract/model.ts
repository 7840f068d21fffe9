/** The JSON Schema subset a blueprint property may use. */
export interface PropertySchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  title?: string;
  description?: string;
  format?: 'date-time' | 'url' | 'email' | 'markdown' | 'yaml';
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: { type: 'string' | 'number' | 'integer' | 'boolean'; enum?: unknown[]; format?: string; pattern?: string };
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

/** A named, typed relation from entities of one blueprint to entities of one or more others. */
export interface RelationDef {
  title?: string;
  description?: string;
  /** Target blueprint identifier, or several for a polymorphic relation. */
  target: string | string[];
  many?: boolean;
  required?: boolean;
  /** Name of the field on the target type that lists the sources (GraphQL). */
  inverse?: string;
  /**
   * What the relation means to impact analysis (default `other`): `dependency` (the source
   * depends on the target; impact follows it), `ownership` (the target owns the source),
   * `membership` (links a team and a member, either way round: `person.memberOf → team`,
   * `group.hasMember → user`), `oncall` (links a person and what they are on call for, either
   * way round), `other`.
   */
  role?: RelationRole;
}

/** Roles a relation can play in impact analysis; see {@link RelationDef.role}. */
export const relationRoles = ['dependency', 'ownership', 'membership', 'oncall', 'other'] as const;
export type RelationRole = (typeof relationRoles)[number];

/**
 * A property computed when read: a Cypher expression over the entity `e`, e.g.
 * `COUNT { (e)<-[:AFFECTS]-(:Incident {status: 'triggered'}) }`. Checked to be read-only when
 * the blueprint is saved; evaluated in read transactions with a timeout.
 */
export interface CalculatedProperty {
  title?: string;
  description?: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  cypher: string;
  /** Accept labels, relationship types and properties the model does not have (yet). */
  allowUnknown?: boolean;
}

/**
 * Who may do an operation on a blueprint's entities. Roles include every stronger role
 * (`viewer` grants everyone); `owners` grants the team the entity's owner relation points at.
 */
export interface Grant {
  roles?: ('admin' | 'member' | 'viewer')[];
  /** User or service account ids. */
  users?: string[];
  /** Team identifiers. */
  teams?: string[];
  owners?: boolean;
}

/**
 * Per-blueprint permissions (see auth/permissions.ts for the defaults). Admins and the
 * blueprint's moderators may always do everything.
 */
export interface BlueprintPermissions {
  read?: Grant;
  create?: Grant;
  update?: Grant;
  delete?: Grant;
  /** Relation to the owning team; defaults to the configured one (`ownedBy`). */
  ownerRelation?: string;
}

/** A user-defined entity kind. Stored in Neo4j as `(:_Blueprint)`. */
export interface Blueprint {
  identifier: string;
  title: string;
  description?: string;
  icon?: string;
  schema: { properties: Record<string, PropertySchema>; required?: string[] };
  relations?: Record<string, RelationDef>;
  /** Read-only properties computed by a Cypher expression over the entity `e`. */
  calculated?: Record<string, CalculatedProperty>;
  /** Who may read, create, update and delete its entities. */
  permissions?: BlueprintPermissions;
  /** Read-only metadata, set by the store. */
  createdAt?: string;
  updatedAt?: string;
  createdBy?: string;
  updatedBy?: string;
  /** The `plexus apply` set that last saved it (absent when saved otherwise). */
  applySet?: string;
}

/** An entity as the API reads and writes it. Identity is (blueprint, identifier). */
export interface Entity {
  identifier: string;
  blueprint: string;
  title?: string | null;
  properties: Record<string, unknown>;
  relations: Record<string, string | string[] | null>;
  /** Values of the blueprint's calculated properties (reads only). */
  calculated?: Record<string, unknown>;
}

/** An entity as read back, with the meta fields the store adds. */
export interface StoredEntity extends Entity {
  meta: {
    createdAt?: string;
    updatedAt?: string;
    createdBy?: string;
    updatedBy?: string;
    sources: string[];
    /** The `plexus apply` set that wrote it last, if any. */
    applySet?: string;
  };
}

/** The current set of blueprints, keyed by identifier. */
export type Model = ReadonlyMap<string, Blueprint>;
