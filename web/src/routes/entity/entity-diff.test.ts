import { describe, expect, it } from 'vitest';
import { diffSnapshots, sameValue } from './entity-diff.ts';

const entity = (over: Record<string, unknown> = {}) => ({
  identifier: 'cart',
  blueprint: 'service',
  title: 'Cart',
  properties: { tier: 1, language: 'ts', tags: ['pci'] },
  relations: { ownedBy: 'payments', dependsOn: ['db'] },
  meta: { sources: [], updatedAt: '2025-01-01T00:00:00Z', updatedBy: 'admin' },
  ...over,
});

describe('diffSnapshots', () => {
  it('lists each changed property with its value before and after', () => {
    const after = entity({ properties: { tier: 2, language: 'ts', tags: ['pci'] } });
    expect(diffSnapshots(entity(), after)).toEqual([
      { path: 'properties.tier', section: 'properties', name: 'tier', kind: 'changed', before: 1, after: 2 },
    ]);
  });

  it('tells added and removed fields apart, treating null and empty like absent', () => {
    const before = entity({ properties: { tier: 1, language: null, tags: ['pci'] } });
    const after = entity({
      properties: { language: 'go', tags: [] },
      relations: { ownedBy: null, dependsOn: ['db'] },
    });
    expect(diffSnapshots(before, after).map((c) => [c.path, c.kind, c.before, c.after])).toEqual([
      ['properties.tier', 'removed', 1, undefined],
      ['properties.language', 'added', undefined, 'go'],
      ['properties.tags', 'removed', ['pci'], undefined],
      ['relations.ownedBy', 'removed', 'payments', undefined],
    ]);
  });

  it('orders title, properties, relations, then sources', () => {
    const after = entity({
      title: 'Basket',
      relations: { ownedBy: 'checkout', dependsOn: ['db'] },
      properties: { tier: 1, language: 'ts', tags: ['pci', 'core'] },
      meta: { sources: ['github'] },
    });
    expect(diffSnapshots(entity(), after).map((c) => c.path)).toEqual([
      'title',
      'properties.tags',
      'relations.ownedBy',
      'meta.sources',
    ]);
  });

  it('leaves out who and when (meta timestamps), which the event itself shows', () => {
    const after = entity({ meta: { sources: [], updatedAt: '2025-02-02T00:00:00Z', updatedBy: 'bot' } });
    expect(diffSnapshots(entity(), after)).toEqual([]);
  });

  it('shows every set field as added for a created entity and removed for a deleted one', () => {
    const created = diffSnapshots(null, entity());
    expect(created.every((c) => c.kind === 'added' && c.before === undefined)).toBe(true);
    expect(created.map((c) => c.path)).toEqual([
      'title',
      'properties.tier',
      'properties.language',
      'properties.tags',
      'relations.ownedBy',
      'relations.dependsOn',
    ]);
    const deleted = diffSnapshots(entity(), null);
    expect(deleted.map((c) => c.kind)).toEqual(Array(6).fill('removed'));
  });

  it('compares arrays by content and objects regardless of key order', () => {
    const before = entity({ properties: { config: { a: 1, b: [1, 2] } } });
    const same = entity({ properties: { config: { b: [1, 2], a: 1 } } });
    const reordered = entity({ properties: { config: { a: 1, b: [2, 1] } } });
    expect(diffSnapshots(before, same)).toEqual([]);
    expect(diffSnapshots(before, reordered).map((c) => c.path)).toEqual(['properties.config']);
  });
});

describe('sameValue', () => {
  it('is false for values of different types that print alike', () => {
    expect(sameValue(1, '1')).toBe(false);
    expect(sameValue([], {})).toBe(false);
    expect(sameValue(null, undefined)).toBe(true);
  });
});
