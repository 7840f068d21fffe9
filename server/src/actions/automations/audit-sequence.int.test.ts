import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../../test-support.ts';

/**
 * Automations walk the audit trail by `seq` (audit/record-events.cypher): concurrent writers must
 * get distinct numbers, and a reader must never see a number before a smaller one that commits
 * later — else the consumer's cursor would move past an event it never saw.
 */
let px: TestPlexus;
let bp: string;
beforeAll(async () => {
  px = await startTestPlexus({ automations: { pollMs: 0, maxDepth: 3, expirySweepMs: 60_000 } });
  bp = uniqueId('seq');
  await px.call('POST', '/api/v1/blueprints', {
    identifier: bp,
    title: 'Seq',
    schema: { properties: { n: { type: 'integer' } } },
  });
}, 120_000);
afterAll(async () => {
  await px?.close();
});

describe('audit sequence', () => {
  it('numbers concurrent writes without duplicates, and never makes a number visible before a smaller one', async () => {
    const seqs = () =>
      readRows<{ seq: number }>(
        px.services.db,
        'MATCH (a:_AuditEvent {blueprint: $bp}) WHERE a.kind = "entity" RETURN a.seq AS seq',
        { bp },
      ).then((r) => r.map((x) => x.seq));
    // While 40 writers race, a reader keeps taking snapshots of the numbers visible. Whatever it
    // saw, every number below the highest one it saw must have been visible already: one that
    // shows up later would have been skipped by a cursor.
    let writing = true;
    const snapshots: number[][] = [];
    const reader = (async () => {
      while (writing) snapshots.push(await seqs());
    })();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        px.call('POST', '/api/v1/entities/bulk', {
          entities: [
            { blueprint: bp, identifier: `a${i}`, properties: { n: i } },
            { blueprint: bp, identifier: `b${i}`, properties: { n: i } },
          ],
        }),
      ),
    );
    writing = false;
    await reader;
    expect(results.every((r) => r.status < 300)).toBe(true);
    const got = (await seqs()).sort((a, b) => a - b);
    expect(got).toHaveLength(80);
    expect(new Set(got).size).toBe(80);
    expect(snapshots.length).toBeGreaterThan(0);
    const late = snapshots.flatMap((seen) => {
      const visible = new Set(seen);
      const top = Math.max(0, ...seen);
      return got
        .filter((n) => n < top && !visible.has(n))
        .map((n) => `${n} appeared after ${top} was visible`);
    });
    expect(late).toEqual([]);
  }, 120_000);
});
