import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { uniqueId } from '../test-support.ts';
import { createDriver, type Db, readRows } from './driver.ts';
import { createJobScheduler, createLease, listLeases } from './lease.ts';
import { runMigrations } from './migrations.ts';
import { waitFor } from '@plexus/connector-sdk/testing';

/** A replica's own connection to the test database. */
function connect(): Driver {
  return createDriver({
    uri: inject('neo4jUri'),
    user: inject('neo4jUser'),
    password: inject('neo4jPassword'),
  });
}

const drivers: Driver[] = [];
let db: Db;

beforeAll(async () => {
  db = { driver: connect() };
  drivers.push(db.driver);
  await runMigrations(db);
});

afterAll(async () => {
  for (const d of drivers) await d.close().catch(() => {});
});

async function stateOf(name: string) {
  return (await listLeases(db)).find((l) => l.name === name);
}

describe('lease', () => {
  it('is held by one holder at a time until released', async () => {
    const name = uniqueId('lease-');
    const a = createLease(db, { name, holder: 'a', ttlMs: 60_000 });
    const b = createLease(db, { name, holder: 'b', ttlMs: 60_000 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true); // renewal
    expect((await stateOf(name))?.holder).toBe('a');
    await a.release();
    expect((await stateOf(name))?.holder).toBeNull();
    expect(await b.acquire()).toBe(true);
    expect(await a.acquire()).toBe(false);
  });

  it('goes to exactly one of many replicas racing for it', async () => {
    const name = uniqueId('lease-');
    const replicas = Array.from({ length: 8 }, (_, i) =>
      createLease({ driver: i % 2 ? db.driver : drivers[0] }, { name, holder: `r${i}`, ttlMs: 60_000 }),
    );
    const won = await Promise.all(replicas.map((r) => r.acquire()));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await stateOf(name))?.holder).toBe(`r${won.indexOf(true)}`);
  });

  it('expires when its holder stops renewing, and only then goes to another', async () => {
    const name = uniqueId('lease-');
    const a = createLease(db, { name, holder: 'a', ttlMs: 1000 });
    // B's own lease lasts long enough for the checks below on a busy machine.
    const b = createLease(db, { name, holder: 'b', ttlMs: 60_000 });
    expect(await a.acquire()).toBe(true);
    const held = (await stateOf(name))!;
    await waitFor('the lease to expire and go to b', async () => ((await b.acquire()) ? true : undefined));
    const [row] = await readRows<{ acquiredAt: number }>(
      db,
      'MATCH (l:_Lease {name: $name}) RETURN l.acquiredAt AS acquiredAt',
      { name },
    );
    expect(row.acquiredAt).toBeGreaterThan(held.until!);
    expect(await a.acquire()).toBe(false);
  });

  it('counts a run period across holders: a new holder does not repeat a run that just happened', async () => {
    const name = uniqueId('lease-');
    const a = createLease(db, { name, holder: 'a', ttlMs: 60_000 });
    const b = createLease(db, { name, holder: 'b', ttlMs: 60_000 });
    await a.acquire();
    // The first run is due one period after the lease was created.
    expect(await a.claimRun(3_600_000)).toBeNull();
    expect(await a.claimRun(0)).toEqual(expect.any(Number));
    expect(await a.claimRun(3_600_000)).toBeNull();
    expect(await b.claimRun(0)).toBeNull(); // not the holder
    await a.release();
    await b.acquire();
    expect(await b.claimRun(3_600_000)).toBeNull();
    expect(await b.claimRun(0)).toEqual(expect.any(Number));
  });
});

describe('job scheduler', () => {
  it('runs a job once per period across two replicas, and the other takes over after the holder dies', async () => {
    const name = uniqueId('job-');
    const periodMs = 400;
    const ttlMs = 4000;
    const runs: { holder: string; at: number }[] = [];
    const replica = (holder: string) => {
      const driver = connect();
      drivers.push(driver);
      const scheduler = createJobScheduler({ driver }, { holder, ttlMs, logger: silentLogger });
      scheduler.every(name, periodMs, async ({ at }) => {
        runs.push({ holder, at });
      });
      return { driver, scheduler };
    };
    const one = replica('one');
    const two = replica('two');
    await waitFor('six runs', () => (runs.length >= 6 ? true : undefined));
    // The replica that ran last dies: its connection goes, nothing is released.
    const deadName = runs.at(-1)!.holder;
    const [dead, survivor] = deadName === 'one' ? [one, two] : [two, one];
    await dead.driver.close();
    const [{ now }] = await readRows<{ now: number }>(db, 'RETURN timestamp() AS now');
    const state = (await stateOf(name))!;
    const takeover = await waitFor('the other replica to take over', () =>
      runs.find((r) => r.holder !== deadName && r.at > now),
    );
    // It took over only once the dead holder's lease had expired.
    if (state.holder === deadName) expect(takeover.at).toBeGreaterThan(state.until!);
    await waitFor('two runs by the survivor', () =>
      runs.filter((r) => r.holder !== deadName && r.at > now).length >= 2 ? true : undefined,
    );
    // Never two runs within a period, whoever held the lease.
    const ats = runs.map((r) => r.at).sort((x, y) => x - y);
    for (let i = 1; i < ats.length; i++) expect(ats[i] - ats[i - 1]).toBeGreaterThanOrEqual(periodMs);
    await survivor.scheduler.stop();
    await dead.scheduler.stop();
    expect((await stateOf(name))?.holder).toBeNull();
  }, 90_000);
});
