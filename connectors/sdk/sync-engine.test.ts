import { describe, expect, it } from 'vitest';
import { hashContribution, ledgerItemOf, mergeMapped } from './sync-engine.ts';

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
