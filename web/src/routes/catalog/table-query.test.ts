import { describe, expect, it } from 'vitest';
import type { Blueprint } from '../../api/types.ts';
import {
  buildTableQuery,
  buildWhere,
  columnsOf,
  defaultDefinition,
  definitionFromSearch,
  definitionToSearch,
  normaliseDefinition,
  operatorsFor,
  type ViewDefinition,
} from './table-query.ts';

const team: Blueprint = { identifier: 'team', title: 'Team', schema: { properties: {} } };
const resource: Blueprint = {
  identifier: 'cloudResource',
  title: 'Cloud resource',
  schema: { properties: {} },
};
const service: Blueprint = {
  identifier: 'service',
  title: 'Service',
  schema: {
    properties: {
      language: { type: 'string', enum: ['go', 'ts'] },
      tier: { type: 'integer' },
      readme: { type: 'string', format: 'markdown' },
      tags: { type: 'array', items: { type: 'string' } },
    },
  },
  relations: { ownedBy: { target: 'team' }, runsOn: { target: ['cloudResource', 'team'], many: true } },
};
const model = [team, resource, service];

describe('catalog table state', () => {
  it('offers properties, relations, incoming relations and meta fields as columns', () => {
    const cols = columnsOf(team, model).map((c) => [c.key, c.kind]);
    expect(cols).toEqual([
      ['servicesOwnedBy', 'inverse'],
      ['servicesRunsOn', 'inverse'],
      ['_updatedAt', 'meta'],
      ['_createdAt', 'meta'],
      ['_sources', 'meta'],
    ]);
    expect(columnsOf(service, model).find((c) => c.key === 'runsOn')).toMatchObject({
      union: true,
      targets: ['cloudResource', 'team'],
    });
  });

  it('opens with short properties and the first relations, leaving markdown out', () => {
    expect(defaultDefinition(service, model).columns).toEqual([
      'language',
      'tier',
      'tags',
      'ownedBy',
      'runsOn',
      '_updatedAt',
    ]);
  });

  it('offers operators that fit the column type', () => {
    const col = (key: string) => columnsOf(service, model).find((c) => c.key === key)!;
    expect(operatorsFor(col('language')).map((o) => o.op)).toEqual(['eq', 'neq']);
    expect(operatorsFor(col('tier')).map((o) => o.op)).toEqual(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);
    expect(operatorsFor(col('tags')).map((o) => o.op)).toEqual(['includes']);
    expect(operatorsFor(col('ownedBy')).map((o) => o.op)).toEqual(['is', 'isNot', 'any', 'none']);
  });

  it('combines the quick text filter and typed filters into one where', () => {
    const where = buildWhere(service, model, {
      q: 'cart',
      filters: [
        { field: 'tier', op: 'lte', value: '2' },
        { field: 'language', op: 'neq', value: 'go' },
        { field: 'ownedBy', op: 'is', value: 'team:payments' },
        { field: 'runsOn', op: 'is', value: 'cloudResource:db-1' },
        { field: 'nope', op: 'eq', value: 1 },
      ],
    });
    expect(where).toEqual({
      AND: [
        { OR: [{ identifier: { caseInsensitive: { contains: 'cart' } } }, { title: { caseInsensitive: { contains: 'cart' } } }] },
        { tier: { lte: 2 } },
        { NOT: { language: { eq: 'go' } } },
        { ownedBy: { some: { identifier: { eq: 'payments' } } } },
        { OR: [{ runsOn: { some: { CloudResource: { identifier: { eq: 'db-1' } } } } }] },
      ],
    });
    expect(buildWhere(service, model, { filters: [] })).toBeNull();
  });

  it('asks for one page with the total, sorting ties by identifier', () => {
    const def = {
      ...defaultDefinition(service, model),
      columns: ['tier', 'ownedBy'],
      sort: { field: 'tier', direction: 'DESC' as const },
      pageSize: 25,
    };
    const { query, variables } = buildTableQuery(service, model, def, 3);
    expect(query).toContain(
      'rows: services(where: $where, sort: $sort, limit: $limit, offset: $offset) { identifier title _blueprint tier ownedBy(limit: 4) { ... on Entity { identifier title _blueprint } } }',
    );
    expect(query).toContain('total: servicesConnection(where: $where) { totalCount }');
    expect(variables).toEqual({
      where: null,
      sort: [{ tier: 'DESC' }, { identifier: 'ASC' }],
      limit: 25,
      offset: 50,
    });
  });

  it('falls back to sorting by identifier for a column that cannot be sorted', () => {
    const def = { ...defaultDefinition(service, model), sort: { field: 'tags', direction: 'ASC' as const } };
    expect(buildTableQuery(service, model, def, 1).variables.sort).toEqual([{ identifier: 'ASC' }]);
  });

  it('round-trips a definition through the URL, writing only what differs from the view', () => {
    const base = defaultDefinition(service, model);
    const def = {
      ...base,
      filters: [{ field: 'tier', op: 'eq' as const, value: 1 }],
      q: 'ca',
      pageSize: 100,
    };
    const params = definitionToSearch(def, base);
    expect(params).toEqual({
      cols: undefined,
      sort: undefined,
      filters: JSON.stringify(def.filters),
      q: 'ca',
      size: '100',
    });
    expect(definitionFromSearch(params, base)).toEqual(def);
    expect(definitionFromSearch({ filters: '{not json', size: '7' }, base)).toEqual(base);
  });

  it('puts nothing in the URL for a saved view opened as it was saved, so it is not "edited"', () => {
    const saved: ViewDefinition = {
      ...defaultDefinition(service, [service, team, resource]),
      filters: [{ field: 'language', op: 'eq', value: 'go' }],
      q: 'cart',
    };
    const params = definitionToSearch(saved, saved);
    expect(Object.values(params).every((v) => v === undefined)).toBe(true);
    expect(definitionFromSearch(params, saved)).toEqual(saved);
    // Removing the view's filters is a change, and reads back as no filters.
    const cleared = definitionToSearch({ ...saved, filters: [] }, saved);
    expect(cleared.filters).toBe('[]');
    expect(definitionFromSearch(cleared, saved).filters).toEqual([]);
  });

  it('normalises a saved definition written by hand', () => {
    const base = defaultDefinition(service, model);
    expect(
      normaliseDefinition(
        { columns: ['tier', 3], sort: { field: 'tier', direction: 'sideways' }, pageSize: 13 },
        base,
      ),
    ).toEqual({
      columns: ['tier'],
      sort: { field: 'tier', direction: 'ASC' },
      filters: [],
      q: undefined,
      pageSize: base.pageSize,
    });
  });
});
