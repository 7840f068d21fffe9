import { describe, expect, it } from 'vitest';
import { count, pluralOf } from './plural.ts';

describe('plurals', () => {
  it('uses the singular for exactly one', () => {
    expect(count(1, 'node')).toBe('1 node');
    expect(count(1, 'neighbour')).toBe('1 neighbour');
    expect(count(1, 'property', 'properties')).toBe('1 property');
  });

  it('uses the plural for zero and many', () => {
    expect(count(0, 'node')).toBe('0 nodes');
    expect(count(2, 'neighbour')).toBe('2 neighbours');
  });

  it('follows the regular English rules', () => {
    expect(pluralOf('library')).toBe('libraries');
    expect(pluralOf('key')).toBe('keys');
    expect(pluralOf('process')).toBe('processes');
    expect(pluralOf('box')).toBe('boxes');
    expect(pluralOf('branch')).toBe('branches');
    expect(pluralOf('service')).toBe('services');
  });

  it('knows irregular words and keeps their capital', () => {
    expect(pluralOf('person')).toBe('people');
    expect(pluralOf('Person')).toBe('People');
    expect(pluralOf('Cloud resource')).toBe('Cloud resources');
  });
});
