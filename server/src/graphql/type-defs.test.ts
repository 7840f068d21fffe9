import { Kind, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { reservedRootFields } from '../model/validate-blueprint.ts';
import { baseTypeDefs } from './type-defs.ts';

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
