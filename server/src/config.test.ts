import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from './config.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'plexus-config-'));

describe('readConfig', () => {
  it('defaults to 127.0.0.1:4000 and the embedded Neo4j', () => {
    const c = readConfig({}, dir());
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(4000);
    expect(c.neo4j.uri).toBeUndefined();
    expect(c.adminToken).toBeUndefined();
  });

  it('reads plexus.yaml and lets the environment win', () => {
    const d = dir();
    writeFileSync(
      join(d, 'plexus.yaml'),
      'server:\n  port: 5000\n  host: 0.0.0.0\nneo4j:\n  uri: bolt://db:7687\nsources:\n  - identifier: x\n',
    );
    const c = readConfig({ PORT: '6000' }, d);
    expect(c.port).toBe(6000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.neo4j.uri).toBe('bolt://db:7687');
    expect(c.sources).toEqual([{ identifier: 'x' }]);
  });

  it('says which setting is wrong', () => {
    expect(() => readConfig({ PORT: 'abc' }, dir())).toThrow(
      new ConfigError('PORT must be an integer >= 0, got "abc"'),
    );
    expect(() => readConfig({ PLEXUS_MAX_BODY: 'lots' }, dir())).toThrow(/PLEXUS_MAX_BODY must be a size/);
    expect(() => readConfig({ PLEXUS_CONFIG: 'missing.yaml' }, dir())).toThrow(/does not exist/);
    const d = dir();
    writeFileSync(join(d, 'plexus.yaml'), 'server: [unclosed');
    expect(() => readConfig({}, d)).toThrow(/not valid YAML/);
  });

  it('defaults files to the working directory and egress to public addresses only', () => {
    const d = dir();
    const c = readConfig({}, d);
    expect(c.files).toEqual({ roots: [d], maxPlaceholderBytes: 1024 ** 2 });
    expect(c.egress).toEqual({
      allow: [],
      maxResponseBytes: 50 * 1024 ** 2,
      timeoutMs: 60_000,
      maxRedirects: 5,
    });
  });

  it('reads file roots, the placeholder cap and the egress settings', () => {
    const d = dir();
    const c = readConfig(
      {
        PLEXUS_FILE_ROOTS: `catalog:/srv/states`,
        PLEXUS_PLACEHOLDER_MAX_BYTES: '64kb',
        PLEXUS_EGRESS_ALLOW: '10.0.0.0/8, git.internal:443,[::1]:8080',
        PLEXUS_EGRESS_MAX_RESPONSE_BYTES: '5mb',
        PLEXUS_EGRESS_TIMEOUT_MS: '1000',
        PLEXUS_EGRESS_MAX_REDIRECTS: '0',
      },
      d,
    );
    expect(c.files).toEqual({ roots: [join(d, 'catalog'), '/srv/states'], maxPlaceholderBytes: 64 * 1024 });
    expect(c.egress).toEqual({
      allow: ['10.0.0.0/8', 'git.internal:443', '[::1]:8080'],
      maxResponseBytes: 5 * 1024 ** 2,
      timeoutMs: 1000,
      maxRedirects: 0,
    });
  });

  it('names a bad egress allow entry', () => {
    expect(() => readConfig({ PLEXUS_EGRESS_ALLOW: '10.0.0.0/99' }, dir())).toThrow(
      /PLEXUS_EGRESS_ALLOW has a bad entry: egress allow entry "10.0.0.0\/99" is not a CIDR/,
    );
  });

  it('reads the GraphQL limits from the environment, with defaults', () => {
    expect(readConfig({}, dir()).graphqlLimits).toEqual({
      maxDepth: 10,
      maxAliases: 100,
      maxRootFields: 100,
      maxCost: 50000,
      timeoutMs: 30000,
      maxConcurrent: 4,
    });
    const c = readConfig(
      { PLEXUS_GRAPHQL_MAX_DEPTH: '6', PLEXUS_GRAPHQL_MAX_COST: '1000', PLEXUS_GRAPHQL_MAX_CONCURRENT: '0' },
      dir(),
    );
    expect(c.graphqlLimits).toMatchObject({ maxDepth: 6, maxCost: 1000, maxConcurrent: 0 });
    expect(() => readConfig({ PLEXUS_GRAPHQL_MAX_DEPTH: '0' }, dir())).toThrow(
      /PLEXUS_GRAPHQL_MAX_DEPTH must be an integer >= 1/,
    );
  });
  it('reads how replicas share the model and scheduled work', () => {
    const d = dir();
    expect(readConfig({}, d)).toMatchObject({
      graphql: { modelPollMs: 2000 },
      scheduler: {
        leaseTtlMs: 30_000,
        sourceTickMs: 15_000,
        scorecardRunMs: 3_600_000,
        auditPruneMs: 3_600_000,
      },
    });
    writeFileSync(
      join(d, 'plexus.yaml'),
      'graphql:\n  modelPollMs: 500\nscheduler:\n  leaseTtlMs: 9000\n  auditPruneMs: 0\n',
    );
    expect(readConfig({ PLEXUS_LEASE_TTL_MS: '12000' }, d)).toMatchObject({
      graphql: { modelPollMs: 500 },
      scheduler: { leaseTtlMs: 12_000, auditPruneMs: 0 },
    });
    expect(readConfig({ PLEXUS_MODEL_POLL_MS: '0' }, d).graphql.modelPollMs).toBe(0);
    expect(() => readConfig({ PLEXUS_LEASE_TTL_MS: '10' }, dir())).toThrow(
      new ConfigError('PLEXUS_LEASE_TTL_MS must be an integer >= 100, got "10"'),
    );
    expect(() => readConfig({ PLEXUS_MODEL_POLL_MS: 'often' }, dir())).toThrow(
      /PLEXUS_MODEL_POLL_MS must be an integer/,
    );
  });
  it('names a bad value in plexus.yaml by its path and the file', () => {
    const d = dir();
    const file = join(d, 'plexus.yaml');
    writeFileSync(file, 'server:\n  port: abc\nlimits: 5\nauth:\n  oidc:\n    roleMap:\n      ops: root\n');
    expect(() => readConfig({}, d)).toThrow(
      new ConfigError(
        [
          `server.port in ${file} must be an integer >= 0, got "abc"`,
          `limits in ${file} must be a mapping, got a number`,
          `auth.oidc.roleMap.ops in ${file} must be admin, member, viewer or moderator:<blueprint>`,
        ].join('\n'),
      ),
    );
  });

  it('refuses a misspelt key in plexus.yaml instead of leaving the setting at its default', () => {
    const d = dir();
    const file = join(d, 'plexus.yaml');
    writeFileSync(file, 'server:\n  prot: 5000\nsorces: []\n');
    expect(() => readConfig({}, d)).toThrow(
      new ConfigError(
        [
          `server.prot in ${file}: unknown key; expected one of host, port, trustProxy, shutdownTimeoutMs`,
          `sorces in ${file}: unknown key; expected one of server, neo4j, dataDir, logLevel, demo, sources, limits, graphql, scheduler, audit, automations, files, egress, actions, auth`,
        ].join('\n'),
      ),
    );
  });

  it('lists every bad environment variable at once', () => {
    expect(() =>
      readConfig({ LOG_LEVEL: 'loud', PLEXUS_TRUST_PROXY: 'maybe', PLEXUS_RATE_BURST: '0' }, dir()),
    ).toThrow(
      new ConfigError(
        [
          'PLEXUS_TRUST_PROXY must be true or false, got "maybe"',
          'LOG_LEVEL must be one of debug, info, warn, error; got "loud"',
          'PLEXUS_RATE_BURST must be an integer >= 1, got "0"',
        ].join('\n'),
      ),
    );
  });

  it('treats an empty variable and a YAML key without a value as unset', () => {
    const d = dir();
    writeFileSync(join(d, 'plexus.yaml'), 'server:\n  port:\nneo4j:\n  password: 1234\nsources:\n');
    const c = readConfig({ PORT: '', HOST: '' }, d);
    expect(c.port).toBe(4000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.neo4j.password).toBe('1234');
    expect(c.sources).toEqual([]);
  });

  it('needs an issuer and an audience with a JWKS URL, and refuses symmetric algorithms', () => {
    expect(() => readConfig({ PLEXUS_OIDC_JWKS_URL: 'https://idp.example.com/jwks' }, dir())).toThrow(
      new ConfigError(
        [
          'PLEXUS_OIDC_ISSUER (auth.oidc.issuer) is required when a JWKS URL is set',
          'PLEXUS_OIDC_AUDIENCE (auth.oidc.audience) is required when a JWKS URL is set',
        ].join('\n'),
      ),
    );
    expect(() => readConfig({ PLEXUS_OIDC_JWKS_URL: 'http://idp.example.com/jwks' }, dir())).toThrow(
      /PLEXUS_OIDC_JWKS_URL must be an https URL/,
    );
    expect(() => readConfig({ PLEXUS_OIDC_JWKS_URL: 'idp/jwks' }, dir())).toThrow(
      new ConfigError('PLEXUS_OIDC_JWKS_URL is not a URL: "idp/jwks"'),
    );
    expect(() => readConfig({ PLEXUS_OIDC_ALGORITHMS: 'RS256,HS256' }, dir())).toThrow(
      /PLEXUS_OIDC_ALGORITHMS must be asymmetric/,
    );
    const c = readConfig(
      {
        PLEXUS_OIDC_JWKS_URL: 'https://idp.example.com/jwks',
        PLEXUS_OIDC_ISSUER: 'https://idp.example.com',
        PLEXUS_OIDC_AUDIENCE: 'plexus, cli',
      },
      dir(),
    );
    expect(c.auth.oidc).toMatchObject({
      audience: ['plexus', 'cli'],
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      defaultRole: 'viewer',
    });
  });
});
