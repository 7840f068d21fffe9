import { describe, expect, it } from 'vitest';
import type { Blueprint } from '../../api/types.ts';
import { emptyDraft, fromDraft, newProperty, newRelation, placeErrors, toDraft } from './blueprint-draft.ts';

const service: Blueprint = {
  identifier: 'service',
  title: 'Service',
  description: 'A deployable unit',
  schema: {
    properties: {
      language: { type: 'string', title: 'Language', enum: ['go', 'ts'] },
      tier: { type: 'integer', minimum: 1, maximum: 3 },
      tags: { type: 'array', items: { type: 'string' } },
      url: { type: 'string', format: 'url' },
    },
    required: ['language'],
  },
  relations: {
    ownedBy: { target: 'team', many: false, required: true, inverse: 'owns' },
    runsOn: { target: ['cluster', 'vm'], many: true },
  },
};

describe('blueprint drafts', () => {
  it('round-trips a blueprint, keeping keywords the form does not edit', () => {
    const back = fromDraft(toDraft(service));
    expect(back.schema.properties).toEqual({ ...service.schema.properties });
    expect(back.schema.required).toEqual(['language']);
    expect(back.relations).toEqual({
      ownedBy: { target: 'team', many: false, required: true, inverse: 'owns' },
      runsOn: { target: ['cluster', 'vm'], many: true, required: false },
    });
    expect(back.description).toBe('A deployable unit');
  });

  it('turns the allowed-values text into typed enum values and skips empty rows', () => {
    const d = emptyDraft();
    d.identifier = 'queue';
    d.title = 'Queue';
    d.properties = [
      { ...newProperty(), name: 'priority', type: 'integer', enumText: '1, 2, 3' },
      { ...newProperty(), name: 'zones', type: 'array', itemsType: 'string', enumText: 'eu, us' },
      newProperty(),
    ];
    d.relations = [{ ...newRelation('team'), name: 'ownedBy' }, newRelation('team')];
    const bp = fromDraft(d);
    expect(bp.schema.properties).toEqual({
      priority: { type: 'integer', enum: [1, 2, 3] },
      zones: { type: 'array', items: { type: 'string', enum: ['eu', 'us'] } },
    });
    expect(Object.keys(bp.relations ?? {})).toEqual(['ownedBy']);
  });

  it('places the server’s 422 details on the rows and fields they name', () => {
    const d = toDraft(service);
    const placed = placeErrors(d, [
      { path: '/schema/properties/tier/minimum', message: 'minimum must be a number' },
      { path: '/relations/ownedBy/target', message: 'unknown blueprint "team"' },
      { path: '/identifier', message: 'identifier must be camelCase' },
      { path: '/schema/required/0', message: 'required names an unknown property' },
      { path: '/calculated', message: 'something else' },
    ]);
    const tier = d.properties.find((p) => p.name === 'tier')!.rowId;
    const language = d.properties.find((p) => p.name === 'language')!.rowId;
    const ownedBy = d.relations.find((r) => r.name === 'ownedBy')!.rowId;
    expect(placed.properties[tier]).toEqual(['minimum must be a number']);
    expect(placed.properties[language]).toEqual(['required names an unknown property']);
    expect(placed.relations[ownedBy]).toEqual(['unknown blueprint "team"']);
    expect(placed.fields.identifier).toEqual(['identifier must be camelCase']);
    expect(placed.general).toEqual(['/calculated: something else']);
  });
});
