import type { Blueprint } from '@plexus/contract';
import neo4j from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import {
  type DesiredEntity,
  decodeEntity,
  hashEntity,
  nodeProperties,
  searchText,
  toApiEntity,
} from './entity-codec.ts';

// How an entity is stored on its node and read back: the encoding must round-trip, the hash must
// ignore what does not change the entity, and the API form must say relations as the API does.
const service: Blueprint = {
  identifier: 'service',
  title: 'Service',
  schema: {
    properties: {
      tier: { type: 'integer' },
      language: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      ports: { type: 'array', items: { type: 'integer' } },
      links: { type: 'object' },
    },
  },
  relations: {
    ownedBy: { target: 'team', many: false },
    dependsOn: { target: ['service', 'library'], many: true },
  },
};

const cart: DesiredEntity = {
  blueprint: 'service',
  identifier: 'cart',
  title: 'Cart',
  properties: {
    tier: 1,
    language: 'go',
    tags: ['shop', 'eu'],
    ports: [80, 443],
    links: { Runbook: 'https://r.example' },
  },
  relations: {
    ownedBy: [{ blueprint: 'team', identifier: 'payments' }],
    dependsOn: [
      { blueprint: 'library', identifier: 'kafka' },
      { blueprint: 'service', identifier: 'auth' },
    ],
  },
};

describe('hashEntity', () => {
  it('does not depend on key order, relation order or empty relations', () => {
    const shuffled: DesiredEntity = {
      ...cart,
      properties: Object.fromEntries(Object.entries(cart.properties).reverse()),
      relations: {
        dependsOn: [...cart.relations.dependsOn].reverse(),
        ownedBy: cart.relations.ownedBy,
        calls: [],
      },
    };
    expect(hashEntity(shuffled)).toBe(hashEntity(cart));
  });

  it('changes with the title, a property value or a relation target', () => {
    const base = hashEntity(cart);
    expect(hashEntity({ ...cart, title: 'Basket' })).not.toBe(base);
    expect(hashEntity({ ...cart, properties: { ...cart.properties, tier: 2 } })).not.toBe(base);
    expect(
      hashEntity({
        ...cart,
        relations: { ...cart.relations, ownedBy: [{ blueprint: 'team', identifier: 'core' }] },
      }),
    ).not.toBe(base);
  });
});

describe('nodeProperties and decodeEntity', () => {
  it('stores integers as Neo4j integers and objects as JSON, clears properties the entity dropped, and reads it all back', () => {
    const stored = nodeProperties(service, cart, ['identifier', 'title', '_sources', 'owner', 'tier']);
    expect(neo4j.isInt(stored.tier)).toBe(true);
    expect((stored.ports as unknown[]).every((p) => neo4j.isInt(p))).toBe(true);
    expect(stored.links).toBe('{"Runbook":"https://r.example"}');
    // A property the node held that the entity no longer has is removed; internal keys are left alone.
    expect(stored.owner).toBeNull();
    expect(stored).not.toHaveProperty('_sources');
    expect(stored).not.toHaveProperty('identifier');
    expect(stored._text).toBe('go \n shop \n eu');

    // What the driver hands back (integers as numbers: the driver is configured for them).
    const read = {
      ...stored,
      tier: 1,
      ports: [80, 443],
      identifier: 'cart',
      title: 'Cart',
      _text: stored._text,
      _updatedAt: 'x',
    };
    delete (read as Record<string, unknown>).owner;
    const back = decodeEntity(service, read, [
      ['DEPENDS_ON', 'service', 'auth'],
      ['OWNED_BY', 'team', 'payments'],
      ['DEPENDS_ON', 'library', 'kafka'],
      ['DEPENDS_ON', 'library', 'kafka'],
      ['SOMETHING_ELSE', 'team', 'x'],
    ]);
    expect(back).toEqual(cart);
    expect(hashEntity(back)).toBe(hashEntity(cart));
  });

  it('leaves an object property that is not JSON as the stored string', () => {
    expect(decodeEntity(service, { identifier: 'x', links: 'not json' }, []).properties.links).toBe(
      'not json',
    );
  });

  it('has no search text when no string values exist', () => {
    expect(searchText(service, { ...cart, properties: { tier: 3 } })).toBeNull();
  });
});

describe('toApiEntity', () => {
  it('gives a single relation as one identifier, a polymorphic one as blueprint:identifier, and the meta', () => {
    const api = toApiEntity(service, cart, {
      _createdAt: '2026-01-01T00:00:00Z',
      _updatedBy: 'ci',
      _sources: ['github'],
      _applySet: 'platform',
    });
    expect(api.relations).toEqual({ ownedBy: 'payments', dependsOn: ['library:kafka', 'service:auth'] });
    expect(api.meta).toEqual({
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: undefined,
      createdBy: undefined,
      updatedBy: 'ci',
      sources: ['github'],
      applySet: 'platform',
    });
    expect(toApiEntity(service, { ...cart, relations: { ownedBy: [], dependsOn: [] } }).relations).toEqual({
      ownedBy: null,
      dependsOn: [],
    });
  });
});
