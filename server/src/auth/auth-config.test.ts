import { describe, expect, it } from 'vitest';
import { readConfig } from '../config.ts';

// The `auth:` section of the configuration (env wins over plexus.yaml; here env only).
const read = (env: Record<string, string>) => readConfig({ PLEXUS_CONFIG: '/dev/null', ...env } as NodeJS.ProcessEnv);

describe('auth configuration', () => {
  it('has safe defaults: no OIDC, rate limits on, no cross-origin callers, ownership by ownedBy', () => {
    const { auth } = read({});
    expect(auth).toEqual({ ownerRelation: 'ownedBy', oidc: null, rateLimit: { perMinute: 1200, burst: 200 }, failureLimit: { perMinute: 30, burst: 50 }, corsOrigins: [] });
  });

  it('reads OIDC from the environment and insists on issuer and audience', () => {
    const base = { PLEXUS_OIDC_JWKS_URL: 'https://idp.example.com/jwks.json', PLEXUS_OIDC_ISSUER: 'https://idp.example.com/' };
    expect(() => read(base)).toThrow(/PLEXUS_OIDC_AUDIENCE/);
    expect(() => read({ PLEXUS_OIDC_JWKS_URL: base.PLEXUS_OIDC_JWKS_URL, PLEXUS_OIDC_AUDIENCE: 'plexus' })).toThrow(/PLEXUS_OIDC_ISSUER/);
    const { oidc } = read({ ...base, PLEXUS_OIDC_AUDIENCE: 'plexus,portal', PLEXUS_OIDC_TEAMS_CLAIM: 'teams' }).auth;
    expect(oidc).toMatchObject({ audience: ['plexus', 'portal'], clockToleranceSeconds: 60, claims: { user: 'sub', teams: 'teams', roles: 'roles' }, defaultRole: 'viewer' });
  });

  it('refuses a JWKS over plain http off loopback, symmetric algorithms and a wildcard origin', () => {
    const oidc = { PLEXUS_OIDC_ISSUER: 'i', PLEXUS_OIDC_AUDIENCE: 'a' };
    expect(() => read({ ...oidc, PLEXUS_OIDC_JWKS_URL: 'http://idp.example.com/jwks' })).toThrow(/https/);
    expect(read({ ...oidc, PLEXUS_OIDC_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).auth.oidc).not.toBeNull();
    expect(() => read({ ...oidc, PLEXUS_OIDC_JWKS_URL: 'https://idp/jwks', PLEXUS_OIDC_ALGORITHMS: 'HS256' })).toThrow(/asymmetric/);
    expect(() => read({ PLEXUS_CORS_ORIGINS: '*' })).toThrow(/may not be "\*"/);
    expect(read({ PLEXUS_CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).auth.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
  });
});
