import { type Blueprint, type Model, relTypeOf } from '@plexus/contract';
import { type ErrorDetail, ForbiddenError, PlexusError } from '../errors.ts';
import { describeGrant, grantOf, type Operation, ownerRelationOf } from './permissions.ts';
import { type Principal, type Role, roleAtLeast } from './principal.ts';

/**
 * The one place that decides who may do what. Everything here is pure: callers gather the facts
 * (the model, an entity's current owners) and these functions answer; REST routes, search,
 * impact and GraphQL all ask the same questions here.
 *
 * Order of a decision on a blueprint's entities: outside a scoped token's blueprints → no;
 * admin or moderator of the blueprint → yes; viewers never write; the blueprint's grant for the
 * operation (its own `permissions`, else the defaults) by role, user or team → yes; by owning
 * team → only entities whose owner relation points at one of the caller's teams. Updating or
 * deleting an entity also needs read access to it.
 */

/** Settings the decisions depend on. */
export interface AuthorizeOptions {
  /** Relation that names an entity's owning team, unless a blueprint says otherwise. */
  ownerRelation: string;
}

/** How much of a blueprint an operation may touch. */
export type Access = 'all' | 'owned' | 'none';

/** A read filter for one blueprint, without any Cypher: callers compile it. */
export type ReadFilter =
  | { kind: 'all' }
  | { kind: 'none' }
  /** Only entities whose `relation` points at an entity whose identifier is one of `teams`. */
  | { kind: 'owned'; relation: string; relationType: string; teams: string[] };

/**
 * What a principal may read across the whole model, as data: compiled to a Cypher predicate by
 * callers (server/src/auth/read-scope-cypher.ts) and to the `reads<Label>`/`owning`/`teams` JWT claims GraphQL's
 * generated @authorization rules compare against.
 */
export interface ReadScope {
  /** True when every blueprint is readable in full (no filtering needed at all). */
  unrestricted: boolean;
  /** Blueprints readable in full. */
  all: string[];
  /** Blueprint → relationship type to its owning team, for blueprints readable when owned. */
  owned: Record<string, string>;
  teams: string[];
}

/** An entity a write touches, with what the check needs to know about it. */
export interface WriteTarget {
  blueprint: string;
  identifier: string;
  operation: 'create' | 'update' | 'delete';
  /** Owning team identifiers: current ones for update and delete, declared ones for create. */
  owners: string[];
  /** Position in the request, so a refusal can name the record. */
  index?: number;
}

/** Admin across the whole model (a token scoped to some blueprints is not). */
export function isAdmin(p: Principal): boolean {
  return p.role === 'admin' && !p.blueprints;
}

function inScope(p: Principal, blueprint: string): boolean {
  return !p.blueprints || p.blueprints.includes(blueprint);
}

/** Admin or moderator of this blueprint, within the token's scope. */
export function canAdminister(p: Principal, blueprint: string): boolean {
  if (!inScope(p, blueprint)) return false;
  return p.role === 'admin' || p.moderates.includes(blueprint);
}

/** Throws 403 unless the caller is an admin (users, teams, other people's tokens, new blueprints). */
export function assertAdmin(p: Principal, what: string): void {
  if (!isAdmin(p)) throw new ForbiddenError(`${what} needs the admin role${p.blueprints ? ' and a token that is not scoped to blueprints' : `; you have ${p.role}`}`);
}

/**
 * Throws 403 unless the caller administers every one of the blueprints: blueprint changes,
 * packs, sources and scorecards of those blueprints.
 */
export function assertCanAdminister(p: Principal, blueprints: string[], what: string): void {
  const denied = blueprints.filter((b) => !canAdminister(p, b));
  if (denied.length > 0) {
    throw new ForbiddenError(`${what} needs the admin role or moderation of ${denied.map((b) => `"${b}"`).join(', ')}`);
  }
}

/** Throws 403 unless the caller's base role includes `role` (operations not tied to a blueprint). */
export function assertRole(p: Principal, role: Role, what: string): void {
  if (!roleAtLeast(p.role, role)) throw new ForbiddenError(`${what} needs the ${role} role; you have ${p.role}`);
}

/** How much of `bp` the principal may touch with `operation`. */
export function access(p: Principal, bp: Blueprint, operation: Operation, options: AuthorizeOptions): Access {
  if (!inScope(p, bp.identifier)) return 'none';
  if (canAdminister(p, bp.identifier)) return 'all';
  // A viewer is read-only whatever a blueprint grants: read-only tokens stay read-only.
  if (operation !== 'read' && p.role === 'viewer') return 'none';
  const grant = grantOf(bp, operation);
  if (grant.roles?.some((r) => roleAtLeast(p.role, r))) return 'all';
  if (grant.users?.includes(p.id)) return 'all';
  if (grant.teams?.some((t) => p.teams.includes(t))) return 'all';
  if (grant.owners && p.teams.length > 0 && ownerRelationOf(bp, options.ownerRelation)) return 'owned';
  return 'none';
}

/** True when the principal may read every entity of the blueprint. */
export function canRead(p: Principal, bp: Blueprint, options: AuthorizeOptions): boolean {
  return access(p, bp, 'read', options) === 'all';
}

/** The entities of `bp` the principal may read, as a description callers compile. */
export function readFilter(p: Principal, bp: Blueprint, options: AuthorizeOptions): ReadFilter {
  const a = access(p, bp, 'read', options);
  if (a === 'all') return { kind: 'all' };
  if (a === 'none') return { kind: 'none' };
  const relation = ownerRelationOf(bp, options.ownerRelation)!;
  return { kind: 'owned', relation, relationType: relTypeOf(relation), teams: [...p.teams] };
}

/** Read filters of every blueprint at once. */
export function readScope(p: Principal, model: Model, options: AuthorizeOptions): ReadScope {
  const scope: ReadScope = { unrestricted: true, all: [], owned: {}, teams: [...p.teams] };
  for (const bp of model.values()) {
    const f = readFilter(p, bp, options);
    if (f.kind === 'all') scope.all.push(bp.identifier);
    else {
      scope.unrestricted = false;
      if (f.kind === 'owned') scope.owned[bp.identifier] = f.relationType;
    }
  }
  return scope;
}

/** Whether one entity is readable, given its blueprint and its owning team identifiers. */
export function canReadEntity(scope: ReadScope, blueprint: string, owners: string[]): boolean {
  if (scope.all.includes(blueprint)) return true;
  if (!(blueprint in scope.owned)) return false;
  return owners.some((o) => scope.teams.includes(o));
}

/** Throws 403 unless the principal may read (at least some of) the blueprint's entities. */
export function assertCanReadBlueprint(p: Principal, bp: Blueprint, options: AuthorizeOptions): ReadFilter {
  const f = readFilter(p, bp, options);
  if (f.kind === 'none') throw new ForbiddenError(`reading entities of "${bp.identifier}" needs ${describeGrant(grantOf(bp, 'read'))}`);
  return f;
}

/**
 * Throws one 403 naming every record the principal may not write; nothing is written then.
 * Unknown blueprints pass here (the catalog answers them with 422).
 */
export function assertCanWrite(p: Principal, targets: WriteTarget[], model: Model, options: AuthorizeOptions): void {
  const details: ErrorDetail[] = [];
  for (const t of targets) {
    const bp = model.get(t.blueprint);
    if (!bp) continue;
    const allows = (a: Access) => a === 'all' || (a === 'owned' && t.owners.some((o) => p.teams.includes(o)));
    const a = access(p, bp, t.operation, options);
    // Nobody changes what they may not read: an update or delete needs read access to the entity too.
    if (allows(a) && (t.operation === 'create' || allows(access(p, bp, 'read', options)))) continue;
    const who = a === 'owned' ? 'entities owned by one of your teams' : describeGrant(grantOf(bp, t.operation));
    details.push({
      ...(t.index === undefined ? {} : { index: t.index }),
      identifier: t.identifier,
      blueprint: t.blueprint,
      message: `you may not ${t.operation} ${t.blueprint} "${t.identifier}": that needs ${p.role === 'viewer' ? 'a role above viewer' : who}`,
    });
  }
  if (details.length > 0) {
    const first = details[0];
    const more = details.length > 1 ? ` and ${details.length - 1} more` : '';
    // The 403 shape of errors.ts, with one detail per refused record.
    throw new PlexusError(403, 'forbidden', `${String(first.message)}${more}; nothing was written`, details);
  }
}
