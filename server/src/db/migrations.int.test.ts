import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueId } from '../test-support.ts';
import { createDriver, type Db, readRows } from './driver.ts';
import { applyMigrationStatement } from './migrations.ts';

/** Replicas' own connections to the test database, as separate servers would have. */
const drivers: Driver[] = [];
const replicas: Db[] = [];

beforeAll(() => {
  for (let i = 0; i < 4; i++) {
    const driver = createDriver({ uri: inject('neo4jUri'), user: inject('neo4jUser'), password: inject('neo4jPassword') });
    drivers.push(driver);
    replicas.push({ driver });
  }
});

afterAll(async () => {
  for (const d of drivers) await d.close().catch(() => {});
});

async function indexNamed(name: string): Promise<number> {
  const rows = await readRows<{ n: number }>(replicas[0], 'SHOW INDEXES YIELD name WHERE name = $name RETURN count(*) AS n', { name });
  return Number(rows[0].n);
}

describe('migrations applied by replicas starting at once', () => {
  it('create the same index once and drop it once, with no replica failing', async () => {
    // Labels and names of this test only; a schema statement takes no parameters, so they are
    // fixed strings made here, never input.
    const name = uniqueId('race_index').replace(/[^A-Za-z0-9_]/g, '_');
    const label = `Race${name}`;
    const create = `CREATE FULLTEXT INDEX ${name} IF NOT EXISTS FOR (n:${label}) ON EACH [n.identifier, n.title]`;
    for (let round = 0; round < 3; round++) {
      await Promise.all(replicas.map((db) => applyMigrationStatement(db, create)));
      expect(await indexNamed(name)).toBe(1);
      await Promise.all(replicas.map((db) => applyMigrationStatement(db, `DROP INDEX ${name} IF EXISTS`)));
      expect(await indexNamed(name)).toBe(0);
    }
  });

  it('still fails on a real error in a guarded statement', async () => {
    const name = uniqueId('bad_index').replace(/[^A-Za-z0-9_]/g, '_');
    await expect(
      applyMigrationStatement(replicas[0], `CREATE FULLTEXT INDEX ${name} IF NOT EXISTS FOR (n:Bad) ON EACH []`),
    ).rejects.toThrow();
    expect(await indexNamed(name)).toBe(0);
    // And an unguarded statement's error is never swallowed.
    await expect(applyMigrationStatement(replicas[0], 'RETURN 1/0 AS boom')).rejects.toThrow(/by zero/i);
  });
});
