import type { ChangeEvent, WriteContext } from '@plexus/contract';
import type { ManagedTransaction } from 'neo4j-driver';
import { adminChange, writeAudited } from '../audit/audit.ts';
import { type Db, readRows, txRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, type ErrorDetail, NotFoundError, ValidationError } from '../errors.ts';
import { isRole, type Role } from './principal.ts';
import { auditedToken, type TokenInfo, tokenInfo } from './tokens.ts';

/**
 * Users, service accounts and teams, stored as `(:_User)-[:_MEMBER_OF]->(:_Team)`, apart from the
 * catalog on purpose: who belongs to which team decides what people may see, so it changes only
 * through the admin API, never through a catalog write a member could make. A team's identifier
 * is the join key to the catalog: an entity is owned by team `payments` when its owner relation
 * points at an entity whose identifier is `payments` (typically the `team` entity a connector
 * synced from GitHub or Backstage).
 */

/** A user or service account. */
export interface User {
  /** Login or account name; also the `users` grants of blueprints and the OIDC user claim value. */
  id: string;
  name: string;
  email: string | null;
  kind: 'user' | 'service';
  role: Role;
  moderates: string[];
  teams: string[];
  disabled: boolean;
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** A team and its members' ids. */
export interface Team {
  identifier: string;
  title: string;
  description: string | null;
  members: string[];
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
}

/**
 * Reads and writes users and teams. Every change is audited whole (role, team and moderation
 * changes are permission changes) in its own transaction, with `ctx.actor` as the actor.
 */
export interface IdentityStore {
  listUsers(ids?: string[]): Promise<User[]>;
  getUser(id: string): Promise<User | null>;
  createUser(input: unknown, ctx: WriteContext): Promise<User>;
  updateUser(id: string, patch: unknown, ctx: WriteContext): Promise<User>;
  /** Removes a user with their tokens; each token's revocation is audited too. */
  deleteUser(id: string, ctx: WriteContext): Promise<void>;
  listTeams(): Promise<Team[]>;
  saveTeam(input: unknown, ctx: WriteContext, mode: 'create' | 'replace'): Promise<Team>;
  deleteTeam(identifier: string, ctx: WriteContext): Promise<void>;
  /** Called after any user or team changed (caches of verified credentials forget then). */
  onChange(listener: () => void): () => void;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
const teamPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const userKeys = new Set(['id', 'name', 'email', 'kind', 'role', 'moderates', 'teams', 'disabled']);

function checkUser(u: Record<string, unknown>, partial: boolean): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const k of Object.keys(u)) if (!userKeys.has(k)) out.push({ path: `/${k}`, message: `unknown key "${k}"; a user has ${[...userKeys].join(', ')}` });
  if (!partial || u.id !== undefined) {
    if (typeof u.id !== 'string' || !idPattern.test(u.id)) out.push({ path: '/id', message: 'id must be 1-128 letters, digits, ".", "_", "@" or "-" (e.g. a login or an email)' });
  }
  if (u.name !== undefined && typeof u.name !== 'string') out.push({ path: '/name', message: 'name must be a string' });
  if (u.email !== undefined && u.email !== null && (typeof u.email !== 'string' || !u.email.includes('@'))) out.push({ path: '/email', message: 'email must be an e-mail address' });
  if (u.kind !== undefined && u.kind !== 'user' && u.kind !== 'service') out.push({ path: '/kind', message: 'kind must be "user" or "service"' });
  if ((!partial || u.role !== undefined) && !isRole(u.role)) out.push({ path: '/role', message: 'role must be admin, member or viewer' });
  for (const key of ['moderates', 'teams'] as const) {
    const v = u[key];
    if (v !== undefined && (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && teamPattern.test(s)))) {
      out.push({ path: `/${key}`, message: `${key} must be a list of identifiers` });
    }
  }
  if (u.disabled !== undefined && typeof u.disabled !== 'boolean') out.push({ path: '/disabled', message: 'disabled must be true or false' });
  return out;
}

function normaliseUser(u: Record<string, unknown>): User {
  return {
    id: u.id as string,
    name: (u.name as string | undefined) ?? (u.id as string),
    email: (u.email as string | undefined) ?? null,
    kind: (u.kind as User['kind'] | undefined) ?? 'user',
    role: u.role as Role,
    moderates: [...new Set((u.moderates as string[] | undefined) ?? [])],
    teams: [...new Set((u.teams as string[] | undefined) ?? [])],
    disabled: (u.disabled as boolean | undefined) ?? false,
  };
}

/** Runs a read query, in a transaction or on its own. */
type Rows = <T>(query: string, params: Record<string, unknown>) => Promise<T[]>;

const inTx =
  (tx: ManagedTransaction): Rows =>
  <T>(query: string, params: Record<string, unknown>) =>
    txRows<T>(tx, query, params);

async function usersFrom(rows: Rows, ids: string[] | null): Promise<User[]> {
  const found = await rows<{ user: User }>(loadQuery('auth/list-users'), { ids });
  return found.map((r) => ({ ...r.user, email: r.user.email ?? null, moderates: r.user.moderates ?? [], disabled: r.user.disabled ?? false }));
}

async function teamsFrom(rows: Rows, identifiers: string[] | null): Promise<Team[]> {
  const found = await rows<{ team: Team }>(loadQuery('auth/list-teams'), { identifiers });
  return found.map((r) => ({ ...r.team, description: r.team.description ?? null }));
}

/** Creates the identity store. */
export function createIdentityStore(db: Db): IdentityStore {
  const outside: Rows = <T>(query: string, params: Record<string, unknown>) => readRows<T>(db, query, params);
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  /** Saves `user` and records its change from `before`, in one transaction. */
  const save = async (user: User, ctx: WriteContext, check: (before: User | null) => void): Promise<User> => {
    const after = await writeAudited(db, async (tx) => {
      const [before] = await usersFrom(inTx(tx), [user.id]);
      check(before ?? null);
      await tx.run(loadQuery('auth/save-user'), { user, now: new Date().toISOString(), actor: ctx.actor });
      const [saved] = await usersFrom(inTx(tx), [user.id]);
      return { result: saved, events: adminChange('user', user.id, ctx, before ?? null, saved) };
    });
    changed();
    return after;
  };
  const store: IdentityStore = {
    async listUsers(ids) {
      return usersFrom(outside, ids ?? null);
    },
    async getUser(id) {
      const [u] = await store.listUsers([id]);
      return u ?? null;
    },
    async createUser(input, ctx) {
      if (!isObject(input)) throw new ValidationError('a user must be a JSON object', [{ path: '', message: 'expected {"id", "role", ...}' }]);
      const details = checkUser(input, false);
      if (details.length > 0) throw new ValidationError('the user is not valid', details);
      const user = normaliseUser(input);
      return save(user, ctx, (before) => {
        if (before) throw new ConflictError(`user "${user.id}" already exists; PATCH /api/v1/users/${user.id} changes it`);
      });
    },
    async updateUser(id, patch, ctx) {
      if (!isObject(patch)) throw new ValidationError('the body must be a JSON object', [{ path: '', message: 'expected fields to change' }]);
      if (patch.id !== undefined && patch.id !== id) throw new ValidationError('users cannot be renamed', [{ path: '/id', message: `id "${String(patch.id)}" does not match "${id}"` }]);
      const details = checkUser(patch, true);
      if (details.length > 0) throw new ValidationError('the change is not valid', details);
      const current = await store.getUser(id);
      if (!current) throw new NotFoundError(`user "${id}" does not exist`);
      const { createdAt, createdBy, updatedAt, updatedBy, ...rest } = current;
      return save(normaliseUser({ ...rest, ...patch, id }), ctx, (before) => {
        if (!before) throw new NotFoundError(`user "${id}" does not exist`);
      });
    },
    async deleteUser(id, ctx) {
      await writeAudited(db, async (tx) => {
        const [before] = await usersFrom(inTx(tx), [id]);
        // Their tokens go with them (delete-user): each revocation is on record too.
        const owned = await txRows<{ token: TokenInfo }>(tx, loadQuery('auth/list-tokens'), { userId: id });
        const [row] = await txRows<{ deleted: number }>(tx, loadQuery('auth/delete-user'), { id });
        if (!before || !row || row.deleted === 0) throw new NotFoundError(`user "${id}" does not exist`);
        const events: ChangeEvent[] = [
          ...adminChange('user', id, ctx, before, null),
          ...owned.flatMap(({ token }) => adminChange('token', token.id, ctx, auditedToken(tokenInfo(token)), null)),
        ];
        return { result: undefined, events };
      });
      changed();
    },
    async listTeams() {
      return teamsFrom(outside, null);
    },
    async saveTeam(input, ctx, mode) {
      if (!isObject(input)) throw new ValidationError('a team must be a JSON object', [{ path: '', message: 'expected {"identifier", "title", "members"}' }]);
      const details: ErrorDetail[] = [];
      for (const k of Object.keys(input)) if (!['identifier', 'title', 'description', 'members'].includes(k)) details.push({ path: `/${k}`, message: `unknown key "${k}"` });
      if (typeof input.identifier !== 'string' || !teamPattern.test(input.identifier)) details.push({ path: '/identifier', message: 'identifier must be 1-128 letters, digits, ".", "_", ":" or "-"; use the identifier of the team entity in the catalog' });
      if (input.title !== undefined && typeof input.title !== 'string') details.push({ path: '/title', message: 'title must be a string' });
      if (input.description !== undefined && input.description !== null && typeof input.description !== 'string') details.push({ path: '/description', message: 'description must be a string' });
      if (input.members !== undefined && (!Array.isArray(input.members) || !input.members.every((m) => typeof m === 'string'))) details.push({ path: '/members', message: 'members must be a list of user ids' });
      if (details.length > 0) throw new ValidationError('the team is not valid', details);
      const identifier = input.identifier as string;
      const members = (input.members as string[] | undefined) ?? null;
      const saved = await writeAudited(db, async (tx) => {
        const [existing] = await teamsFrom(inTx(tx), [identifier]);
        if (mode === 'create' && existing) throw new ConflictError(`team "${identifier}" already exists; PUT /api/v1/teams/${identifier} changes it`);
        if (mode === 'replace' && !existing) throw new NotFoundError(`team "${identifier}" does not exist`);
        if (members) {
          const known = new Set((await usersFrom(inTx(tx), members)).map((u) => u.id));
          const unknown = members.filter((m) => !known.has(m));
          if (unknown.length > 0) throw new ValidationError('unknown members', unknown.map((m) => ({ path: '/members', message: `user "${m}" does not exist` })));
        }
        await tx.run(loadQuery('auth/save-team'), {
          // Fields left out keep their value (members included).
          team: {
            identifier,
            title: (input.title as string | undefined) ?? existing?.title ?? identifier,
            description: input.description === undefined ? (existing?.description ?? null) : input.description,
            members,
          },
          now: new Date().toISOString(),
          actor: ctx.actor,
        });
        const [after] = await teamsFrom(inTx(tx), [identifier]);
        return { result: after, events: adminChange('team', identifier, ctx, existing ?? null, after) };
      });
      changed();
      return saved;
    },
    async deleteTeam(identifier, ctx) {
      await writeAudited(db, async (tx) => {
        const [before] = await teamsFrom(inTx(tx), [identifier]);
        const [row] = await txRows<{ deleted: number }>(tx, loadQuery('auth/delete-team'), { identifier });
        if (!before || !row || row.deleted === 0) throw new NotFoundError(`team "${identifier}" does not exist`);
        return { result: undefined, events: adminChange('team', identifier, ctx, before, null) };
      });
      changed();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
