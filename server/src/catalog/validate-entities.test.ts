import type { Blueprint, Model } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { checkMerged, checkRecords, desiredState } from './validate-entities.ts';

// The checks a write makes before it reads the database: what a bad record is told, and how a
// record becomes the desired state in replace and merge mode.
const service: Blueprint = {
  identifier: 'service',
  title: 'Service',
  schema: {
    properties: { tier: { type: 'integer', minimum: 1, maximum: 3 }, language: { type: 'string' } },
    required: ['tier'],
  },
  relations: {
    ownedBy: { target: 'team', many: false, required: true },
    dependsOn: { target: ['service', 'library'], many: true },
  },
};
const team: Blueprint = { identifier: 'team', title: 'Team', schema: { properties: {} } };
const library: Blueprint = { identifier: 'library', title: 'Library', schema: { properties: {} } };
const model: Model = new Map([
  ['service', service],
  ['team', team],
  ['library', library],
]);

const good = {
  blueprint: 'service',
  identifier: 'cart',
  properties: { tier: 1 },
  relations: { ownedBy: 'payments' },
};

describe('checkRecords', () => {
  it('accepts a valid record and resolves relation targets, polymorphic ones by prefix', () => {
    const { records, details } = checkRecords(
      model,
      [
        {
          ...good,
          title: 'Cart',
          relations: { ownedBy: 'payments', dependsOn: ['library:kafka', 'service:auth', 'library:kafka'] },
        },
      ],
      { merge: false },
    );
    expect(details).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      index: 0,
      identifier: 'cart',
      title: 'Cart',
      properties: { tier: 1 },
    });
    expect(records[0].relations).toEqual({
      ownedBy: [{ blueprint: 'team', identifier: 'payments' }],
      // Duplicates collapse to one target.
      dependsOn: [
        { blueprint: 'library', identifier: 'kafka' },
        { blueprint: 'service', identifier: 'auth' },
      ],
    });
  });

  it('reports every problem of a record with its index, identifier and path, and keeps the good records', () => {
    const { records, details } = checkRecords(
      model,
      [
        good,
        { ...good, identifier: 'bad', properties: { tier: 7 }, colour: 'red' },
        { ...good, identifier: 'poly', relations: { ownedBy: 'payments', dependsOn: ['kafka'] } },
        { ...good, identifier: 'many', relations: { ownedBy: ['a', 'b'] } },
        { ...good, identifier: 'nope', relations: { ownedBy: 'payments', owner: 'x' } },
      ],
      { merge: false, offset: 10 },
    );
    expect(records.map((r) => r.identifier)).toEqual(['cart']);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          index: 11,
          identifier: 'bad',
          path: '/colour',
          message: expect.stringContaining('unknown key "colour"'),
        }),
        expect.objectContaining({
          index: 11,
          identifier: 'bad',
          path: '/properties/tier',
          message: 'tier must be <= 3',
        }),
        expect.objectContaining({
          index: 12,
          path: '/relations/dependsOn',
          message: expect.stringContaining('write "blueprint:identifier"'),
        }),
        expect.objectContaining({
          index: 13,
          path: '/relations/ownedBy',
          message: expect.stringContaining('holds one target'),
        }),
        expect.objectContaining({
          index: 14,
          path: '/relations/owner',
          message: expect.stringContaining('has ownedBy, dependsOn'),
        }),
      ]),
    );
  });

  it('names a missing or unknown blueprint, a bad identifier and a blueprint that contradicts the URL', () => {
    const { details } = checkRecords(
      model,
      [
        'not an object',
        { identifier: 'x' },
        { blueprint: 'servce', identifier: 'x' },
        { blueprint: 'service', identifier: 'a\u0001b', properties: { tier: 1 } },
        { blueprint: 'service', identifier: 'x'.repeat(513), properties: { tier: 1 } },
      ],
      { merge: false },
    );
    expect(details.map((d) => [d.index, d.path, d.message])).toEqual([
      [0, undefined, 'an entity must be a JSON object'],
      [1, '/blueprint', 'blueprint is required'],
      [2, '/blueprint', 'unknown blueprint "servce"; GET /api/v1/blueprints lists them'],
      [3, '/identifier', expect.stringContaining('without control characters')],
      [4, '/identifier', expect.stringContaining('at most 512 characters')],
    ]);
    const url = checkRecords(model, [{ ...good, blueprint: 'team' }], {
      merge: false,
      defaultBlueprint: 'service',
    });
    expect(url.details[0].message).toBe('blueprint "team" does not match the URL\'s blueprint "service"');
  });

  it('asks for required properties and relations in replace mode only', () => {
    const bare = { blueprint: 'service', identifier: 'cart' };
    const replace = checkRecords(model, [bare], { merge: false });
    expect(replace.details.map((d) => d.path).sort()).toEqual(['/properties/tier', '/relations/ownedBy']);
    expect(checkRecords(model, [bare], { merge: true }).details).toEqual([]);
  });
});

describe('desiredState and checkMerged', () => {
  const before = {
    blueprint: 'service',
    identifier: 'cart',
    title: 'Cart',
    properties: { tier: 2, language: 'go' },
    relations: { ownedBy: [{ blueprint: 'team', identifier: 'payments' }], dependsOn: [] },
  };

  it('replaces everything in replace mode and lays the record over the stored entity in merge mode', () => {
    const [rec] = checkRecords(
      model,
      [{ blueprint: 'service', identifier: 'cart', properties: { language: 'ts' } }],
      {
        merge: true,
      },
    ).records;
    expect(desiredState(rec, before, true)).toEqual({
      ...before,
      properties: { tier: 2, language: 'ts' },
    });
    expect(desiredState(rec, before, false)).toEqual({
      blueprint: 'service',
      identifier: 'cart',
      title: null,
      properties: { language: 'ts' },
      relations: { ownedBy: [], dependsOn: [] },
    });
  });

  it('finds what a merge leaves missing: a cleared required relation, a required property never set', () => {
    const [rec] = checkRecords(
      model,
      [{ blueprint: 'service', identifier: 'cart', relations: { ownedBy: null } }],
      {
        merge: true,
      },
    ).records;
    expect(checkMerged(rec, desiredState(rec, before, true))).toEqual([
      { index: 0, identifier: 'cart', path: '/relations/ownedBy', message: 'relation "ownedBy" is required' },
    ]);
    const fresh = desiredState(rec, null, true);
    expect(
      checkMerged(rec, fresh)
        .map((d) => d.path)
        .sort(),
    ).toEqual(['/properties/tier', '/relations/ownedBy']);
  });
});
