import { describe, expect, it } from 'vitest';
import type { Connector } from './contract.ts';
import { compileMapping } from './mapping.ts';
import { hashContribution, type LedgerItem, ledgerItemOf, mergeMapped, runFullSync, type SyncStore } from './sync-engine.ts';

const base = {
  blueprint: 'group',
  identifier: 'ns/team',
  title: 'Team',
  properties: { type: 'team' },
  relations: { hasMember: ['ns/a'] },
};

describe('sync engine helpers', () => {
  it('hashes contributions independently of key and list order', () => {
    const same = { ...base, properties: { type: 'team' }, relations: { hasMember: ['ns/a'] } };
    expect(hashContribution(same)).toBe(hashContribution(base));
    const a = { ...base, relations: { hasMember: ['ns/a', 'ns/b'] } };
    const b = { ...base, relations: { hasMember: ['ns/b', 'ns/a'] } };
    expect(hashContribution(a)).toBe(hashContribution(b));
    expect(hashContribution({ ...base, properties: { type: 'org' } })).not.toBe(hashContribution(base));
  });

  it('merges two records of one source feeding the same entity: later properties win, targets add up', () => {
    const partial = {
      blueprint: 'group',
      identifier: 'ns/team',
      properties: {},
      relations: { hasMember: 'ns/b' },
    };
    expect(mergeMapped(base, partial)).toEqual({ ...base, relations: { hasMember: ['ns/a', 'ns/b'] } });
    expect(mergeMapped(partial, base).title).toBe('Team');
    const one = { ...base, relations: { childOf: 'ns/org' } };
    expect(mergeMapped(one, { ...one, title: null }).relations.childOf).toBe('ns/org');
  });

  it('remembers which properties and relation targets a source wrote', () => {
    expect(ledgerItemOf({ key: 'group:ns/team', entity: base, hash: 'h' })).toEqual({
      blueprint: 'group',
      identifier: 'ns/team',
      hash: 'h',
      properties: ['title', 'type'],
      relations: ['hasMember|ns/a'],
    });
  });
});

describe('a full sync whose database goes away', () => {
  it('ends failed and deletes nothing when a write fails part-way', async () => {
    const connector = {
      type: 'test',
      title: 'Test',
      config: {} as Connector['config'],
      defaultMapping: { mappings: [] },
      async *fetch() {
        for (let i = 0; i < 6; i++) yield { kind: 'item', data: { name: `item-${i}` } };
      },
    } as unknown as Connector<unknown>;
    const stale: LedgerItem = { blueprint: 'thing', identifier: 'gone', hash: 'h', properties: [], relations: [] };
    let writes = 0;
    const removed: LedgerItem[] = [];
    const store: SyncStore = {
      loadLedger: async () => new Map([['thing:gone', stale]]),
      async writeContributions(items) {
        writes++;
        // The second batch meets a database that is gone (what neo4j-driver reports then).
        if (writes === 2) throw Object.assign(new Error('Failed to connect to server: connect ECONNREFUSED 127.0.0.1:7687'), { code: 'ServiceUnavailable' });
        return { created: items.length, updated: 0, unchanged: 0, rejected: [] };
      },
      async removeContributions(items) {
        removed.push(...items);
        return { deleted: items.length, detached: 0 };
      },
    };
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const result = await runFullSync({
      sourceId: 'src',
      connector,
      config: {},
      mapping: compileMapping('mappings:\n  - kind: item\n    blueprint: thing\n    identifier: name\n'),
      store,
      runId: 'run-1',
      logger: quiet as never,
      batchSize: 2,
    });
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(/ECONNREFUSED.*nothing was deleted/);
    expect(removed).toEqual([]);
    expect(result.deleted).toBe(0);
    expect(writes).toBe(2);
  });
});
