import type { Blueprint, Grant } from '@plexus/contract';
import type { ErrorDetail } from '../errors.ts';
import { isRole, type Role } from './principal.ts';

/** The entity operations a blueprint's `permissions` grant. */
export const operations = ['read', 'create', 'update', 'delete'] as const;
export type Operation = (typeof operations)[number];

/**
 * Defaults when a blueprint says nothing: everyone reads; members (and admins) create, update
 * and delete. Admins and the blueprint's moderators always may, whatever the blueprint says.
 */
export const defaultGrants: Record<Operation, Grant> = {
  read: { roles: ['viewer'] },
  create: { roles: ['member'] },
  update: { roles: ['member'] },
  delete: { roles: ['member'] },
};

/** The grant in force for an operation on a blueprint (its own, else the default). */
export function grantOf(bp: Blueprint, operation: Operation): Grant {
  return bp.permissions?.[operation] ?? defaultGrants[operation];
}

/** The relation whose target is the owning team: the blueprint's own choice, else the configured one. */
export function ownerRelationOf(bp: Blueprint, fallback: string): string | null {
  const name = bp.permissions?.ownerRelation ?? fallback;
  return bp.relations?.[name] ? name : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const grantKeys = new Set(['roles', 'users', 'teams', 'owners']);
const stringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 200);

/**
 * Checks a blueprint's `permissions` key. Shape:
 * `{read?, create?, update?, delete?: {roles?, users?, teams?, owners?}, ownerRelation?}`.
 * @example checkPermissions({ read: { roles: ['member'], owners: true } }, bp) // []
 */
export function checkPermissions(value: unknown, bp: { relations?: unknown }): ErrorDetail[] {
  if (value === undefined) return [];
  const out: ErrorDetail[] = [];
  if (!isObject(value)) return [{ path: '/permissions', message: 'permissions must be an object such as {"read": {"roles": ["viewer"]}}' }];
  for (const [key, grant] of Object.entries(value)) {
    const path = `/permissions/${key}`;
    if (key === 'ownerRelation') {
      if (typeof grant !== 'string' || !isObject(bp.relations) || !bp.relations[grant]) {
        out.push({ path, message: 'ownerRelation must name a relation of this blueprint (its target is the owning team)' });
      }
      continue;
    }
    if (!(operations as readonly string[]).includes(key)) {
      out.push({ path, message: `unknown key "${key}"; permissions has ${operations.join(', ')} and ownerRelation` });
      continue;
    }
    if (!isObject(grant)) {
      out.push({ path, message: 'a grant is {"roles": [...], "users": [...], "teams": [...], "owners": true}' });
      continue;
    }
    for (const k of Object.keys(grant)) if (!grantKeys.has(k)) out.push({ path: `${path}/${k}`, message: `unknown key "${k}"; a grant has roles, users, teams and owners` });
    if (grant.roles !== undefined && (!Array.isArray(grant.roles) || !grant.roles.every(isRole))) {
      out.push({ path: `${path}/roles`, message: 'roles must be a list of admin, member, viewer (a role includes every stronger one)' });
    }
    if (grant.users !== undefined && !stringList(grant.users)) out.push({ path: `${path}/users`, message: 'users must be a list of user ids' });
    if (grant.teams !== undefined && !stringList(grant.teams)) out.push({ path: `${path}/teams`, message: 'teams must be a list of team identifiers' });
    if (grant.owners !== undefined && typeof grant.owners !== 'boolean') out.push({ path: `${path}/owners`, message: 'owners must be true or false' });
  }
  return out;
}

/** Roles named in a grant, for messages. */
export function describeGrant(grant: Grant): string {
  const parts: string[] = [];
  if (grant.roles?.length) parts.push(`role ${(grant.roles as Role[]).join(' or ')} (or stronger)`);
  if (grant.users?.length) parts.push('named users');
  if (grant.teams?.length) parts.push('named teams');
  if (grant.owners) parts.push('the owning team');
  return parts.length > 0 ? parts.join(', ') : 'admins and moderators only';
}
