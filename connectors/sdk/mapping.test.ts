import { describe, expect, it } from 'vitest';
import { compileMapping, MappingInvalidError } from './mapping.ts';

const repo = {
  name: 'cart',
  full_name: 'acme/cart',
  language: 'TypeScript',
  archived: false,
  topics: ['payments'],
  owner: { login: 'acme' },
  stars: 3,
};

describe('mapping', () => {
  it('maps a record with plain paths and JSONata expressions', async () => {
    const m = compileMapping(`
mappings:
  - kind: repository
    blueprint: service
    identifier: name
    title: full_name
    properties:
      language: $lowercase(language)
      topics: topics
      popular: stars > 2
    relations:
      ownedBy: "'team-' & owner.login"
`);
    const { entities, errors } = await m.apply({ kind: 'repository', data: repo }, 0);
    expect(errors).toEqual([]);
    expect(entities).toEqual([
      {
        blueprint: 'service',
        identifier: 'cart',
        title: 'acme/cart',
        properties: { language: 'typescript', topics: ['payments'], popular: true },
        relations: { ownedBy: 'team-acme' },
      },
    ]);
  });

  it('applies several entries per kind, each with its own selector', async () => {
    const m = compileMapping({
      mappings: [
        { kind: 'repository', selector: 'archived = false', blueprint: 'service', identifier: 'name' },
        { kind: 'repository', blueprint: 'repository', identifier: 'full_name' },
        { kind: 'team', blueprint: 'team', identifier: 'slug' },
      ],
    });
    const live = await m.apply({ kind: 'repository', data: repo }, 0);
    expect(live.entities.map((e) => `${e.blueprint}:${e.identifier}`)).toEqual([
      'service:cart',
      'repository:acme/cart',
    ]);
    const archived = await m.apply({ kind: 'repository', data: { ...repo, archived: true } }, 1);
    expect(archived.entities.map((e) => e.blueprint)).toEqual(['repository']);
    expect((await m.apply({ kind: 'unmapped', data: {} }, 2)).entities).toEqual([]);
  });

  it('maps each element of a list with forEach, the record bound to $record', async () => {
    const m = compileMapping({
      mappings: [
        {
          kind: 'team',
          forEach: 'members',
          blueprint: 'user',
          identifier: 'login',
          relations: { memberOf: '$record.slug' },
        },
      ],
    });
    const { entities } = await m.apply(
      { kind: 'team', data: { slug: 'payments', members: [{ login: 'alice' }, { login: 'bob' }] } },
      0,
    );
    expect(entities.map((e) => [e.identifier, e.relations.memberOf])).toEqual([
      ['alice', 'payments'],
      ['bob', 'payments'],
    ]);
  });

  it('takes a whole properties object from one expression', async () => {
    const m = compileMapping({
      mappings: [
        {
          kind: 'item',
          blueprint: '$.blueprint',
          identifier: 'identifier',
          properties: 'properties',
          relations: 'relations',
        },
      ],
    });
    const { entities } = await m.apply(
      {
        kind: 'item',
        data: {
          blueprint: 'svc',
          identifier: 'a',
          properties: { tier: 1, note: null },
          relations: { dependsOn: ['b'] },
        },
      },
      0,
    );
    expect(entities[0]).toEqual({
      blueprint: 'svc',
      identifier: 'a',
      properties: { tier: 1 },
      relations: { dependsOn: ['b'] },
    });
  });

  it('reports a failing field with the record position, origin, entry and identity, and skips that entity', async () => {
    const m = compileMapping({
      mappings: [
        { kind: 'repo', blueprint: 'service', identifier: 'name', properties: { stars: '$number(stars)' } },
      ],
    });
    const { entities, errors } = await m.apply(
      { kind: 'repo', data: { name: 'cart', stars: 'many' }, origin: 'page 2' },
      41,
    );
    expect(entities).toEqual([]);
    expect(errors).toEqual([
      {
        position: 41,
        origin: 'page 2',
        kind: 'repo',
        entry: 0,
        field: 'properties.stars',
        message: expect.stringContaining('number'),
        blueprint: 'service',
        identifier: 'cart',
      },
    ]);
  });

  it('reports an expression that never ends as that field’s error instead of stalling the sync', async () => {
    // A mapping is written by whoever configures a source: an endless loop must cost one record, not the server.
    const m = compileMapping({
      mappings: [
        {
          kind: 'repo',
          blueprint: 'service',
          identifier: 'name',
          properties: { stars: '($f := function($x) { $f($x + 1) }; $f(0))' },
        },
      ],
    });
    const { entities, errors } = await m.apply({ kind: 'repo', data: { name: 'cart' } }, 0);
    expect(entities).toEqual([]);
    expect(errors).toEqual([expect.objectContaining({ field: 'properties.stars', message: expect.stringMatching(/timeout/i) })]);
  }, 60_000);

  it('reports a record without an identifier', async () => {
    const m = compileMapping({ mappings: [{ kind: 'repo', blueprint: 'service', identifier: 'name' }] });
    const { errors } = await m.apply({ kind: 'repo', data: {} }, 3);
    expect(errors[0]).toMatchObject({
      position: 3,
      field: 'identifier',
      message: 'must give a non-empty string, got nothing',
    });
  });

  it('refuses a malformed mapping, listing every problem with its path', () => {
    try {
      compileMapping({
        mappings: [
          {
            kind: 'repo',
            blueprint: 'service',
            identifier: 'name(',
            properties: { a: 'x +', b: 3 as unknown as string },
          },
          { kind: 'x' } as never,
        ],
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MappingInvalidError);
      expect((err as MappingInvalidError).issues.map((i) => i.path)).toEqual([
        '/mappings/0/properties/b',
        '/mappings/1/blueprint',
        '/mappings/1/identifier',
      ]);
    }
    try {
      compileMapping({
        mappings: [{ kind: 'repo', blueprint: 'service', identifier: 'name(', properties: { a: 'x +' } }],
      });
      expect.unreachable();
    } catch (err) {
      expect((err as MappingInvalidError).issues.map((i) => i.path)).toEqual([
        '/mappings/0/identifier',
        '/mappings/0/properties/a',
      ]);
    }
  });

  it('identifies records for deletes from the identity fields only', async () => {
    const m = compileMapping({
      mappings: [
        { kind: 'repo', blueprint: 'service', identifier: 'name', properties: { stars: '$number(stars)' } },
      ],
    });
    expect((await m.identify({ kind: 'repo', data: { name: 'cart' } }, 0)).refs).toEqual([
      { blueprint: 'service', identifier: 'cart' },
    ]);
  });
});
