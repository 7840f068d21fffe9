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
    expect(c.egress).toEqual({ allow: [], maxResponseBytes: 50 * 1024 ** 2, timeoutMs: 60_000, maxRedirects: 5 });
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
      /PLEXUS_EGRESS_ALLOW \(egress.allow\): egress allow entry "10.0.0.0\/99" is not a CIDR/,
    );
  });

  it('reads the GraphQL limits from the environment, with defaults', () => {
    expect(readConfig({}, dir()).graphqlLimits).toEqual({ maxDepth: 10, maxAliases: 100, maxRootFields: 100, maxCost: 50000, timeoutMs: 30000, maxConcurrent: 4 });
    const c = readConfig({ PLEXUS_GRAPHQL_MAX_DEPTH: '6', PLEXUS_GRAPHQL_MAX_COST: '1000', PLEXUS_GRAPHQL_MAX_CONCURRENT: '0' }, dir());
    expect(c.graphqlLimits).toMatchObject({ maxDepth: 6, maxCost: 1000, maxConcurrent: 0 });
    expect(() => readConfig({ PLEXUS_GRAPHQL_MAX_DEPTH: '0' }, dir())).toThrow(/PLEXUS_GRAPHQL_MAX_DEPTH \(graphql.maxDepth\) must be an integer >= 1/);
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
});
