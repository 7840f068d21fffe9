import type { Model } from '@plexus/contract';
import { Kind, type ObjectTypeDefinitionNode, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { reservedRootFields } from '../model/validate-blueprint.ts';
import { baseTypeDefs, generateTypeDefs, storedFieldsOf } from './type-defs.ts';

describe('baseTypeDefs', () => {
  it('has exactly the root fields blueprint validation reserves', () => {
    const doc = parse(baseTypeDefs);
    const roots = doc.definitions.flatMap((d) =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION && (d.name.value === 'Query' || d.name.value === 'Mutation')
        ? (d.fields ?? []).map((f) => f.name.value)
        : [],
    );
    expect(roots.length).toBeGreaterThan(5);
    expect(new Set(roots)).toEqual(reservedRootFields);
  });
});

describe('generateTypeDefs labels', () => {
  it("matches each type by its blueprint's label and Entity, whose index finds entities by identifier", () => {
    const model = new Map([
      ['service', { identifier: 'service', title: 'Service', schema: { properties: {} } }],
    ]) as unknown as Model;
    const doc = parse(`${baseTypeDefs}\n${generateTypeDefs(model)}`);
    const service = doc.definitions.find(
      (d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Service',
    ) as ObjectTypeDefinitionNode;
    const node = service.directives!.find((d) => d.name.value === 'node')!;
    // A blueprint has no index of its own (migration 0015): `where: { identifier: ... }` and the
    // typed entities of impact and reachable (`entities(where: { identifier: { in } })`) are
    // index seeks on (:Entity) identifier only when the match names Entity.
    expect(print(node)).toBe('@node(labels: ["Service", "Entity"])');
  });
});

describe('generateTypeDefs authorization', () => {
  it('declares one read flag per blueprint in the JWT and filters each type by its own flag', () => {
    const model = new Map([
      ['service', { identifier: 'service', title: 'Service', schema: { properties: {} } }],
      ['team', { identifier: 'team', title: 'Team', schema: { properties: {} } }],
    ]) as unknown as Model;
    const doc = parse(`${baseTypeDefs}\n${generateTypeDefs(model)}`);
    const object = (name: string) =>
      doc.definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name) as
        | ObjectTypeDefinitionNode
        | undefined;
    expect(object('JWT')?.fields?.map((f) => f.name.value)).toEqual([
      'readsService',
      'readsTeam',
      'owning',
      'teams',
    ]);
    const rule = (type: string) =>
      print(object(type)!.directives!.find((d) => d.name.value === 'authorization')!);
    expect(rule('Service')).toContain('readsService: {eq: true}');
    expect(rule('Service')).not.toContain('readsTeam');
    expect(rule('Team')).toContain('readsTeam: {eq: true}');
  });
});

describe('storedFieldsOf', () => {
  it('names the plain fields of a type (lists marked), never its relation, calculated or custom fields', () => {
    const model = new Map([
      ['team', { identifier: 'team', title: 'Team', schema: { properties: {} } }],
      [
        'service',
        {
          identifier: 'service',
          title: 'Service',
          schema: {
            properties: {
              tier: { type: 'integer' },
              tags: { type: 'array', items: { type: 'string' } },
              meta2: { type: 'object' },
            },
          },
          relations: { ownedBy: { target: 'team' } },
          calculated: { doubled: { title: 'Doubled', type: 'integer', cypher: 'this.tier * 2' } },
        },
      ],
    ]) as unknown as Model;
    const stored = storedFieldsOf(model.get('service')!);
    expect([...stored]).toEqual([
      ['identifier', false],
      ['title', false],
      ['_blueprint', false],
      ['_createdAt', false],
      ['_updatedAt', false],
      ['_sources', true],
      ['tier', false],
      ['tags', true],
      ['meta2', false],
    ]);
    // Each is a field of the generated type, with a list type exactly where marked, and no directive.
    const doc = parse(`${baseTypeDefs}\n${generateTypeDefs(model)}`);
    const service = doc.definitions.find(
      (d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Service',
    ) as ObjectTypeDefinitionNode;
    for (const [name, list] of stored) {
      const field = service.fields!.find((f) => f.name.value === name);
      expect(field, name).toBeDefined();
      expect(field!.directives ?? [], name).toHaveLength(0);
      expect(print(field!.type).startsWith('['), name).toBe(list);
    }
    for (const other of ['ownedBy', 'doubled', 'scorecards']) expect(stored.has(other)).toBe(false);
  });
});
