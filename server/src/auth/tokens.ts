import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { WriteContext } from '@plexus/contract';
import { adminChange, writeAudited } from '../audit/audit.ts';
import { type Db, readRows, txRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { isRole, type Principal, type PrincipalKind, type Role, roles, weakerRole } from './principal.ts';

export { type Principal, type Role, roleAtLeast, roles } from './principal.ts';

/** A token as listed (never with its secret or hash). */
export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  bootstrap: boolean;
  /** The user or service account the token acts as; null for an unbound token. */
  userId: string | null;
  /** Blueprints the token is limited to; null for all. */
  blueprints: string[] | null;
}

/** What creating a token takes. */
export interface NewToken {
  name: string;
  role: Role;
  expiresAt?: string | null;
  /** Binds the token to a user or service account: it acts as them, never with more than their role. */
  userId?: string | null;
  blueprints?: string[] | null;
  bootstrap?: boolean;
}

/** API tokens: random secrets, stored as SHA-256 hashes, optionally expiring, bound and scoped. */
export interface TokenStore {
  verify(token: string): Promise<Principal | null>;
  /** Issues a token; `ctx.actor` is its creator. Audited in the same transaction, without the secret. */
  create(input: NewToken, ctx: WriteContext): Promise<{ id: string; token: string }>;
  list(options?: { userId?: string }): Promise<TokenInfo[]>;
  /** The user a token belongs to (null when unbound); 404 when there is no such token. */
  owner(id: string): Promise<string | null>;
  /** Revokes a token, audited in the same transaction; returns what it was. */
  delete(id: string, ctx: WriteContext): Promise<TokenInfo>;
  hasBootstrapToken(): Promise<boolean>;
  /** Forgets cached verifications (after a user or their teams changed). */
  forget(): void;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/**
 * Constant-time string comparison. Both sides are hashed first so neither the length nor the
 * position of the first difference shows in the time taken.
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(a), 'hex'), Buffer.from(sha256(b), 'hex'));
}

/** A short, non-reversible fingerprint of a secret for logs (`sha256:1a2b3c4d`). */
export function fingerprint(secret: string): string {
  return `sha256:${sha256(secret).slice(0, 8)}`;
}

/** A token as audited: what it may do and until when; never its secret or hash. */
export function auditedToken(t: Pick<TokenInfo, 'id' | 'name' | 'role'> & Partial<Pick<TokenInfo, 'expiresAt' | 'userId' | 'blueprints'>>) {
  return { id: t.id, name: t.name, role: t.role, blueprints: t.blueprints ?? null, expiresAt: t.expiresAt ?? null, userId: t.userId ?? null };
}

/** A `list-tokens`/`delete-token` row as `TokenInfo` (absent optional fields made explicit). */
export function tokenInfo(row: TokenInfo): TokenInfo {
  return { ...row, userId: row.userId ?? null, blueprints: row.blueprints ?? null, bootstrap: row.bootstrap ?? false };
}

type TokenRow = { id: string; name: string; role: Role; expiresAt: string | null; userId: string | null; blueprints: string[] | null };
type UserRow = { id: string; name: string | null; kind: PrincipalKind; role: Role; moderates: string[] | null; disabled: boolean | null; teams: string[] };

/** The principal of a verified token row (and its user, when bound). */
export function tokenPrincipal(token: TokenRow, user: UserRow | null): Principal | null {
  const scope = token.blueprints && token.blueprints.length > 0 ? { blueprints: token.blueprints } : {};
  if (!token.userId) return { id: token.id, name: token.name, kind: 'token', role: token.role, teams: [], moderates: [], tokenId: token.id, ...scope };
  // A token of a removed or disabled user stops working at once.
  if (!user || user.disabled) return null;
  return {
    id: user.id,
    name: user.name ?? user.id,
    kind: user.kind === 'service' ? 'service' : 'user',
    role: weakerRole(token.role, user.role),
    teams: user.teams ?? [],
    // A viewer token is read-only, even for a moderator.
    moderates: token.role === 'viewer' ? [] : (user.moderates ?? []),
    tokenId: token.id,
    ...scope,
  };
}

/** The shape of every token `create` issues: anything else is refused without a lookup. */
const issuedShape = /^plx_[A-Za-z0-9_-]{43}$/;

/**
 * Creates the token store. `adminToken` (PLEXUS_ADMIN_TOKEN) is checked without the database.
 * Verified tokens are cached for a few seconds so a busy client costs no query per request; the
 * cache is keyed by the hash, never by the secret. Misses are remembered longer (`missMs`, at most
 * `missEntries`, least recently used dropped first) so a client guessing tokens costs one query
 * per distinct guess at most; a value not shaped like an issued token costs none. Tokens are
 * random, so a remembered miss can only be a value never issued; `create` forgets the new hash
 * anyway. Revocation clears the positive cache at once.
 */
export function createTokenStore(db: Db, options: { adminToken?: string; cacheMs?: number; missMs?: number; missEntries?: number } = {}): TokenStore {
  const cacheMs = options.cacheMs ?? 5000;
  const missMs = options.missMs ?? 60_000;
  const missEntries = options.missEntries ?? 10_000;
  const cache = new Map<string, { principal: Principal; until: number }>();
  const misses = new Map<string, number>();
  const rememberMiss = (hash: string) => {
    misses.delete(hash);
    if (misses.size >= missEntries) misses.delete(misses.keys().next().value as string);
    misses.set(hash, Date.now() + missMs);
  };
  return {
    async verify(token) {
      if (!token) return null;
      if (options.adminToken && safeEqual(token, options.adminToken)) {
        return { id: 'admin-env', name: 'admin', kind: 'token', role: 'admin', teams: [], moderates: [] };
      }
      if (!issuedShape.test(token)) return null;
      const hash = sha256(token);
      const hit = cache.get(hash);
      if (hit && hit.until > Date.now()) return hit.principal;
      const missed = misses.get(hash);
      if (missed !== undefined) {
        if (missed > Date.now()) {
          // Least recently used goes first: a repeated guess moves to the back.
          misses.delete(hash);
          misses.set(hash, missed);
          return null;
        }
        misses.delete(hash);
      }
      const [row] = await readRows<{ token: TokenRow; user: UserRow | null }>(db, loadQuery('auth/find-token'), { hash });
      if (!row) {
        rememberMiss(hash);
        return null;
      }
      let principal: Principal | null = null;
      if (!row.token.expiresAt || Date.parse(row.token.expiresAt) > Date.now()) {
        principal = tokenPrincipal(row.token, row.user);
        if (principal) await writeRows(db, loadQuery('auth/touch-token'), { id: row.token.id, now: new Date().toISOString() });
      }
      // Only valid tokens are cached positively; an expired or disabled one is looked up again.
      if (principal) {
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, { principal, until: Date.now() + cacheMs });
      }
      return principal;
    },
    async create(input, ctx) {
      if (typeof input.name !== 'string' || input.name.trim() === '') throw new BadRequestError('name is required');
      if (!isRole(input.role)) throw new BadRequestError(`role must be one of ${roles.join(', ')}`);
      if (input.expiresAt && (typeof input.expiresAt !== 'string' || Number.isNaN(Date.parse(input.expiresAt)))) {
        throw new BadRequestError('expiresAt must be an ISO date-time');
      }
      const blueprints = input.blueprints ?? null;
      if (blueprints !== null && (!Array.isArray(blueprints) || blueprints.length === 0 || !blueprints.every((b) => typeof b === 'string'))) {
        throw new BadRequestError('blueprints must be a non-empty list of blueprint identifiers (or left out for all)');
      }
      const id = randomUUID();
      const token = `plx_${randomBytes(32).toString('base64url')}`;
      await writeAudited(db, async (tx) => {
        await tx.run(loadQuery('auth/create-token'), {
          id,
          name: input.name,
          role: input.role,
          hash: sha256(token),
          now: new Date().toISOString(),
          actor: ctx.actor,
          expiresAt: input.expiresAt ?? null,
          bootstrap: input.bootstrap ?? false,
          userId: input.userId ?? null,
          blueprints,
        });
        return { result: undefined, events: adminChange('token', id, ctx, null, auditedToken({ ...input, id })) };
      });
      misses.delete(sha256(token));
      return { id, token };
    },
    async list(listOptions = {}) {
      const rows = await readRows<{ token: TokenInfo }>(db, loadQuery('auth/list-tokens'), { userId: listOptions.userId ?? null });
      return rows.map((r) => tokenInfo(r.token));
    },
    async owner(id) {
      const [row] = await readRows<{ token: { id: string; userId: string | null } }>(db, loadQuery('auth/find-token-by-id'), { id });
      if (!row) throw new NotFoundError(`token "${id}" does not exist`);
      return row.token.userId ?? null;
    },
    async delete(id, ctx) {
      const revoked = await writeAudited(db, async (tx) => {
        const [row] = await txRows<{ token: TokenInfo }>(tx, loadQuery('auth/delete-token'), { id });
        if (!row) throw new NotFoundError(`token "${id}" does not exist`);
        const token = tokenInfo(row.token);
        return { result: token, events: adminChange('token', id, ctx, auditedToken(token), null) };
      });
      cache.clear();
      return revoked;
    },
    async hasBootstrapToken() {
      const [row] = await readRows<{ present: boolean }>(db, loadQuery('auth/has-bootstrap-token'));
      return row.present;
    },
    forget() {
      cache.clear();
    },
  };
}
