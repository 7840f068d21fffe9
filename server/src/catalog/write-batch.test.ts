import type { Blueprint, Model } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { modelDependencies } from './write-batch.ts';

// Which blueprints a catalog write is checked against: a change of one of them rolls the write
// back before it commits (it is checked again), a change of any other does not.
const bp = (identifier: string, relations: Blueprint['relations'] = {}): Blueprint => ({
  identifier,
  title: identifier,
  schema: { properties: {} },
  relations,
});
const model: Model = new Map(
  [
    bp('team'),
    bp('service', { ownedBy: { target: 'team' }, dependsOn: { target: 'service', many: true } }),
    bp('incident', { about: { target: ['service', 'library'] } }),
    bp('library'),
    bp('unrelated', { to: { target: 'library' } }),
  ].map((b) => [b.identifier, b]),
);
const saved = new Map([
  ['team', '3@2026-12-01T10:00:00.000Z'],
  ['service', '7@2026-12-02T10:00:00.000Z'],
  ['incident', '9@2026-12-03T10:00:00.000Z'],
  ['library', '0@'],
  ['unrelated', '11@2026-12-03T11:00:00.000Z'],
]);

describe('modelDependencies', () => {
  it('is the written blueprints, their relations’ targets and the blueprints pointing at them', () => {
    expect(modelDependencies(model, saved, ['service'])).toEqual(
      new Map([
        ['service', '7@2026-12-02T10:00:00.000Z'],
        ['team', '3@2026-12-01T10:00:00.000Z'],
        ['incident', '9@2026-12-03T10:00:00.000Z'],
      ]),
    );
  });

  it('follows every member of a polymorphic relation', () => {
    expect([...modelDependencies(model, saved, ['incident']).keys()].sort()).toEqual([
      'incident',
      'library',
      'service',
    ]);
  });

  it('leaves out blueprints that neither the records nor their relations touch', () => {
    expect([...modelDependencies(model, saved, ['team']).keys()].sort()).toEqual(['service', 'team']);
  });

  it('gives a blueprint the store does not know an empty stamp, which no stored blueprint has', () => {
    expect(modelDependencies(model, new Map(), ['team']).get('team')).toBe('');
  });
});
