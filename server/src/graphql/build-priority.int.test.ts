import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// A GraphQL worker builds at nice +10 only in the background (another worker serves meanwhile,
// worker-main.ts). The test service is lazy with one worker: requests wait for its builds, so
// they must run at normal priority, and every thread keeps its priority.
let px: TestPlexus;
beforeAll(async () => {
  px = await startTestPlexus();
}, 300_000);
afterAll(async () => {
  await px?.close();
}, 300_000);

/** The nice value of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** What the worker's probe finds: whether a thread may lower its priority and raise it back. */
function mayRaiseBack(): boolean {
  const base = getPriority(0);
  if (base >= 19) return false;
  setPriority(0, base + 1);
  try {
    setPriority(0, base);
    return true;
  } catch {
    return false;
  }
}

describe('GraphQL schema builds at a lower thread priority', () => {
  it.runIf(process.platform === 'linux')(
    'builds that requests wait for run at normal priority, and every thread keeps its priority',
    async () => {
      const base = getPriority(0);
      const capable = mayRaiseBack();
      const seen = new Set<number>();
      // The build runs in a worker thread: this thread is free to watch every thread's priority.
      const watch = setInterval(() => {
        for (const n of threadNices()) seen.add(n);
      }, 5);
      try {
        // A new blueprint makes the (lazy, test) service build a new schema on the next request.
        const id = uniqueId('prio');
        expect(
          (
            await px.call('POST', '/api/v1/blueprints', {
              identifier: id,
              title: id,
              schema: { properties: {} },
            })
          ).status,
        ).toBe(201);
        // The request makes the lazy service build; ready() waits until that build is done.
        await px.call('POST', '/graphql', { query: '{ __typename }' });
        await px.services.schemas.ready();
      } finally {
        clearInterval(watch);
      }
      // No thread went lower than the probe's single step while the build ran.
      expect([...seen].filter((n) => n > base + 1)).toEqual([]);
      // Afterwards every thread is back where it was (at most one step lower: the probe).
      expect(getPriority(0)).toBe(base);
      for (const n of threadNices()) expect(n === base || (!capable && n === base + 1)).toBe(true);
    },
    300_000,
  );
});
