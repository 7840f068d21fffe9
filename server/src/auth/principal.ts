/**
 * Who is calling. Every request that passed authentication carries one principal, whatever the
 * credential was (API token, OIDC/JWT bearer token, the PLEXUS_ADMIN_TOKEN).
 */

/** Base roles, strongest first. A moderator is a member or viewer with a `moderates` list. */
export const roles = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];

/** What kind of identity stands behind a request. */
export type PrincipalKind = 'user' | 'service' | 'token';

/** The caller, as every permission check sees it. */
export interface Principal {
  /** User id (`alice`, the JWT subject), service account id, or token id for unbound tokens. */
  id: string;
  /** Shown as the actor of writes and in the audit trail. */
  name: string;
  /** `token`: an API token bound to no user (the bootstrap admin token, older tokens). */
  kind: PrincipalKind;
  role: Role;
  /** Team identifiers; they match the identifier of the entity an owning relation points at. */
  teams: string[];
  /** Blueprints this principal moderates (full rights on them, their entities and their changes). */
  moderates: string[];
  /** When set (a scoped API token), everything outside these blueprints is forbidden. */
  blueprints?: string[];
  /** Id of the API token used, when the request came with one (rate limits, last use). */
  tokenId?: string;
}

/** Role `a` includes everything role `b` may do. */
export function roleAtLeast(a: Role, b: Role): boolean {
  return roles.indexOf(a) <= roles.indexOf(b);
}

/** The weaker of two roles (a token never grants more than its user has). */
export function weakerRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? b : a;
}

/** The stronger of two roles. */
export function strongerRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? a : b;
}

/** True for one of the three role names. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}
