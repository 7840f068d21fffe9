import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { OidcConfig } from '../config.ts';
import type { User } from './identities.ts';
import { isRole, type Principal, type Role, strongerRole } from './principal.ts';

/** Verifies OIDC/JWT bearer tokens and maps their claims to a principal. */
export interface OidcVerifier {
  /** The principal of a valid token; null when it is not valid (the reason goes to `onReject`). */
  verify(token: string): Promise<Principal | null>;
  /** Forgets cached local users (after users or teams changed). */
  forget(): void;
}

/** True when a bearer token has the shape of a JWT (three base64url parts), not of an API token. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Reads a claim by name; dots reach into nested claims (`realm_access.roles`). */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}

/**
 * Maps verified claims to a principal: the user claim is the id, the teams claim the teams, and
 * each value of the roles claim (through `roleMap`) a role or `moderator:<blueprint>`; the
 * strongest role wins, `defaultRole` when none maps. A local user with the same id adds its
 * role, teams and moderation; a disabled local user is refused.
 */
export function principalFromClaims(payload: JWTPayload, config: OidcConfig, local: User | null): Principal | null {
  const id = claimAt(payload, config.claims.user);
  if (typeof id !== 'string' || id === '') return null;
  if (local?.disabled) return null;
  let role: Role | null = null;
  const moderates = new Set<string>(local?.moderates ?? []);
  for (const value of strings(claimAt(payload, config.claims.roles))) {
    const mapped = config.roleMap[value] ?? value;
    if (isRole(mapped)) role = role ? strongerRole(role, mapped) : mapped;
    else if (mapped.startsWith('moderator:')) moderates.add(mapped.slice('moderator:'.length));
  }
  let effective = role ?? config.defaultRole;
  if (local) effective = strongerRole(effective, local.role);
  const name = claimAt(payload, config.claims.name) ?? claimAt(payload, 'preferred_username');
  return {
    id,
    name: typeof name === 'string' && name !== '' ? name : id,
    kind: local?.kind === 'service' ? 'service' : 'user',
    role: effective,
    teams: [...new Set([...strings(claimAt(payload, config.claims.teams)), ...(local?.teams ?? [])])],
    moderates: [...moderates],
  };
}

/**
 * Creates the verifier. Keys come from the JWKS URL (cached, refetched when an unknown `kid`
 * arrives, at most every 30 s); issuer, audience, expiry and not-before are checked with
 * `clockToleranceSeconds` of leeway; only the configured asymmetric algorithms are accepted.
 */
export function createOidcVerifier(
  config: OidcConfig,
  deps: { findUser: (id: string) => Promise<User | null>; onReject?: (reason: string) => void; keys?: JWTVerifyGetKey },
): OidcVerifier {
  const keys = deps.keys ?? createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
  const users = new Map<string, { user: User | null; until: number }>();
  const findUser = async (id: string) => {
    const hit = users.get(id);
    if (hit && hit.until > Date.now()) return hit.user;
    const user = await deps.findUser(id);
    if (users.size > 10_000) users.clear();
    users.set(id, { user, until: Date.now() + 5_000 });
    return user;
  };
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: config.clockToleranceSeconds,
          algorithms: config.algorithms,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        // The reason (expired, audience, signature, unknown key) is for the log, never the token.
        deps.onReject?.((err as { code?: string }).code ?? (err as Error).name);
        return null;
      }
      const id = claimAt(payload, config.claims.user);
      const local = typeof id === 'string' && id !== '' ? await findUser(id) : null;
      const principal = principalFromClaims(payload, config, local);
      if (!principal) deps.onReject?.(local?.disabled ? 'user disabled' : `claim "${config.claims.user}" missing`);
      return principal;
    },
    forget() {
      users.clear();
    },
  };
}
