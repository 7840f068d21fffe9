import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Db, readRows, writeRows } from '../db/driver.ts';
import { loadQuery } from '../db/query-loader.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';

/** Roles, strongest first. Full RBAC (moderators, per-blueprint grants) builds on these. */
export const roles = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];

/** Who is calling. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

/** API tokens: random secrets, stored as SHA-256 hashes, optionally expiring. */
export interface TokenStore {
  verify(token: string): Promise<Principal | null>;
  create(input: { name: string; role: Role; expiresAt?: string | null; bootstrap?: boolean }, actor: string): Promise<{ id: string; token: string }>;
  list(): Promise<Record<string, unknown>[]>;
  delete(id: string): Promise<void>;
  hasBootstrapToken(): Promise<boolean>;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Constant-time string comparison (for the configured admin token). */
export function safeEqual(a: string, b: string): boolean {
  const ha = Buffer.from(sha256(a), 'hex');
  const hb = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(ha, hb);
}

/** Role `a` includes everything role `b` may do. */
export function roleAtLeast(a: Role, b: Role): boolean {
  return roles.indexOf(a) <= roles.indexOf(b);
}

/**
 * Creates the token store. `adminToken` (PLEXUS_ADMIN_TOKEN) is checked without the database.
 * Verified tokens are cached for a few seconds so a busy client costs no query per request.
 */
export function createTokenStore(db: Db, options: { adminToken?: string; cacheMs?: number } = {}): TokenStore {
  const cacheMs = options.cacheMs ?? 5000;
  const cache = new Map<string, { principal: Principal | null; until: number }>();
  return {
    async verify(token) {
      if (!token) return null;
      if (options.adminToken && safeEqual(token, options.adminToken)) return { id: 'admin-env', name: 'admin', role: 'admin' };
      const hash = sha256(token);
      const hit = cache.get(hash);
      if (hit && hit.until > Date.now()) return hit.principal;
      const [row] = await readRows<{ token: { id: string; name: string; role: Role; expiresAt: string | null } }>(db, loadQuery('auth/find-token'), { hash });
      let principal: Principal | null = null;
      if (row && (!row.token.expiresAt || Date.parse(row.token.expiresAt) > Date.now())) {
        principal = { id: row.token.id, name: row.token.name, role: row.token.role };
        await writeRows(db, loadQuery('auth/touch-token'), { id: row.token.id, now: new Date().toISOString() });
      }
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, { principal, until: Date.now() + cacheMs });
      return principal;
    },
    async create(input, actor) {
      if (typeof input.name !== 'string' || input.name.trim() === '') throw new BadRequestError('name is required');
      if (!roles.includes(input.role)) throw new BadRequestError(`role must be one of ${roles.join(', ')}`);
      if (input.expiresAt && Number.isNaN(Date.parse(input.expiresAt))) throw new BadRequestError('expiresAt must be an ISO date-time');
      const id = randomUUID();
      const token = `plx_${randomBytes(32).toString('base64url')}`;
      await writeRows(db, loadQuery('auth/create-token'), {
        id,
        name: input.name,
        role: input.role,
        hash: sha256(token),
        now: new Date().toISOString(),
        actor,
        expiresAt: input.expiresAt ?? null,
        bootstrap: input.bootstrap ?? false,
      });
      return { id, token };
    },
    async list() {
      return (await readRows<{ token: Record<string, unknown> }>(db, loadQuery('auth/list-tokens'))).map((r) => r.token);
    },
    async delete(id) {
      const [row] = await writeRows<{ deleted: number }>(db, loadQuery('auth/delete-token'), { id });
      if (!row || row.deleted === 0) throw new NotFoundError(`token "${id}" does not exist`);
      cache.clear();
    },
    async hasBootstrapToken() {
      const [row] = await readRows<{ present: boolean }>(db, loadQuery('auth/has-bootstrap-token'));
      return row.present;
    },
  };
}
