import { type Db, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { ConflictError, NotFoundError, ValidationError, type ErrorDetail } from '../errors.ts';
import { isRole, type Role } from './principal.ts';

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

/** Reads and writes users and teams. */
export interface IdentityStore {
  listUsers(ids?: string[]): Promise<User[]>;
  getUser(id: string): Promise<User | null>;
  createUser(input: unknown, actor: string): Promise<User>;
  updateUser(id: string, patch: unknown, actor: string): Promise<User>;
  deleteUser(id: string): Promise<void>;
  listTeams(): Promise<Team[]>;
  saveTeam(input: unknown, actor: string, mode: 'create' | 'replace'): Promise<Team>;
  deleteTeam(identifier: string): Promise<void>;
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

/** Creates the identity store. */
export function createIdentityStore(db: Db): IdentityStore {
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  const save = async (user: User, actor: string) => {
    await writeRows(db, loadQuery('auth/save-user'), { user, now: new Date().toISOString(), actor });
    changed();
  };
  const store: IdentityStore = {
    async listUsers(ids) {
      const rows = await readRows<{ user: User }>(db, loadQuery('auth/list-users'), { ids: ids ?? null });
      return rows.map((r) => ({ ...r.user, email: r.user.email ?? null, moderates: r.user.moderates ?? [], disabled: r.user.disabled ?? false }));
    },
    async getUser(id) {
      const [u] = await store.listUsers([id]);
      return u ?? null;
    },
    async createUser(input, actor) {
      if (!isObject(input)) throw new ValidationError('a user must be a JSON object', [{ path: '', message: 'expected {"id", "role", ...}' }]);
      const details = checkUser(input, false);
      if (details.length > 0) throw new ValidationError('the user is not valid', details);
      const user = normaliseUser(input);
      if (await store.getUser(user.id)) throw new ConflictError(`user "${user.id}" already exists; PATCH /api/v1/users/${user.id} changes it`);
      await save(user, actor);
      return (await store.getUser(user.id))!;
    },
    async updateUser(id, patch, actor) {
      if (!isObject(patch)) throw new ValidationError('the body must be a JSON object', [{ path: '', message: 'expected fields to change' }]);
      if (patch.id !== undefined && patch.id !== id) throw new ValidationError('users cannot be renamed', [{ path: '/id', message: `id "${String(patch.id)}" does not match "${id}"` }]);
      const details = checkUser(patch, true);
      if (details.length > 0) throw new ValidationError('the change is not valid', details);
      const before = await store.getUser(id);
      if (!before) throw new NotFoundError(`user "${id}" does not exist`);
      const { createdAt, createdBy, updatedAt, updatedBy, ...rest } = before;
      await save(normaliseUser({ ...rest, ...patch, id }), actor);
      return (await store.getUser(id))!;
    },
    async deleteUser(id) {
      const [row] = await writeRows<{ deleted: number }>(db, loadQuery('auth/delete-user'), { id });
      if (!row || row.deleted === 0) throw new NotFoundError(`user "${id}" does not exist`);
      changed();
    },
    async listTeams() {
      const rows = await readRows<{ team: Team }>(db, loadQuery('auth/list-teams'), { identifiers: null });
      return rows.map((r) => ({ ...r.team, description: r.team.description ?? null }));
    },
    async saveTeam(input, actor, mode) {
      if (!isObject(input)) throw new ValidationError('a team must be a JSON object', [{ path: '', message: 'expected {"identifier", "title", "members"}' }]);
      const details: ErrorDetail[] = [];
      for (const k of Object.keys(input)) if (!['identifier', 'title', 'description', 'members'].includes(k)) details.push({ path: `/${k}`, message: `unknown key "${k}"` });
      if (typeof input.identifier !== 'string' || !teamPattern.test(input.identifier)) details.push({ path: '/identifier', message: 'identifier must be 1-128 letters, digits, ".", "_", ":" or "-"; use the identifier of the team entity in the catalog' });
      if (input.title !== undefined && typeof input.title !== 'string') details.push({ path: '/title', message: 'title must be a string' });
      if (input.description !== undefined && input.description !== null && typeof input.description !== 'string') details.push({ path: '/description', message: 'description must be a string' });
      if (input.members !== undefined && (!Array.isArray(input.members) || !input.members.every((m) => typeof m === 'string'))) details.push({ path: '/members', message: 'members must be a list of user ids' });
      if (details.length > 0) throw new ValidationError('the team is not valid', details);
      const identifier = input.identifier as string;
      const [existing] = await readRows<{ team: Team }>(db, loadQuery('auth/list-teams'), { identifiers: [identifier] });
      const exists = existing !== undefined;
      if (mode === 'create' && exists) throw new ConflictError(`team "${identifier}" already exists; PUT /api/v1/teams/${identifier} changes it`);
      if (mode === 'replace' && !exists) throw new NotFoundError(`team "${identifier}" does not exist`);
      const members = (input.members as string[] | undefined) ?? null;
      if (members) {
        const known = new Set((await store.listUsers(members)).map((u) => u.id));
        const unknown = members.filter((m) => !known.has(m));
        if (unknown.length > 0) throw new ValidationError('unknown members', unknown.map((m) => ({ path: '/members', message: `user "${m}" does not exist` })));
      }
      await writeRows(db, loadQuery('auth/save-team'), {
        // Fields left out keep their value (members included).
        team: {
          identifier,
          title: (input.title as string | undefined) ?? existing?.team.title ?? identifier,
          description: input.description === undefined ? (existing?.team.description ?? null) : input.description,
          members,
        },
        now: new Date().toISOString(),
        actor,
      });
      changed();
      const [row] = await readRows<{ team: Team }>(db, loadQuery('auth/list-teams'), { identifiers: [identifier] });
      return { ...row.team, description: row.team.description ?? null };
    },
    async deleteTeam(identifier) {
      const [row] = await writeRows<{ deleted: number }>(db, loadQuery('auth/delete-team'), { identifier });
      if (!row || row.deleted === 0) throw new NotFoundError(`team "${identifier}" does not exist`);
      changed();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}
