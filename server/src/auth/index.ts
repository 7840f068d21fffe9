/** Identities, credentials and permissions: what other modules use of auth/. */
export { type AccessControl, createAccessControl, type GraphqlJwt } from './access.ts';
export {
  type Access,
  access,
  assertAdmin,
  assertCanAdminister,
  assertCanReadBlueprint,
  assertCanWrite,
  assertRole,
  type AuthorizeOptions,
  canAdminister,
  canRead,
  canReadEntity,
  isAdmin,
  type ReadFilter,
  type ReadScope,
  readFilter,
  readScope,
  type WriteTarget,
} from './authorize.ts';
export { ensureAdminToken } from './bootstrap.ts';
export { createIdentityStore, type IdentityStore, type Team, type User } from './identities.ts';
export { authenticate } from './middleware.ts';
export { createOidcVerifier, type OidcVerifier } from './oidc.ts';
export { defaultGrants, type Operation } from './permissions.ts';
export { type Principal, type PrincipalKind, type Role, roleAtLeast, roles } from './principal.ts';
export { createRateLimiter, type RateLimiter } from './rate-limit.ts';
export { scopeParams, visibleSlots, visiblePredicate } from './read-scope-cypher.ts';
export { authRoutes } from './routes.ts';
export { createTokenStore, fingerprint, safeEqual, type TokenStore } from './tokens.ts';
