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
