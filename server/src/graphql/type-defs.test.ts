import type { Model } from '@plexus/contract';
import { Kind, type ObjectTypeDefinitionNode, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { reservedRootFields } from '../model/validate-blueprint.ts';
import { baseTypeDefs, generateTypeDefs } from './type-defs.ts';

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
