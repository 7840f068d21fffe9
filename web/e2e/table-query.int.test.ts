import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../../server/src/test-support.ts';
import { inverseFieldOf } from '../src/api/names.ts';
import type { Blueprint } from '../src/api/types.ts';
import { buildTableQuery, defaultDefinition, type ViewDefinition } from '../src/routes/catalog/table-query.ts';

// The table's GraphQL is generated from the model; these run it against the real generated
// schema so a change in @neo4j/graphql's filter or sort syntax shows up here.
let px: TestPlexus;
let svc: Blueprint;
let team: Blueprint;
let res: Blueprint;
let model: Blueprint[];

beforeAll(async () => {
  px = await startTestPlexus();
  const s = uniqueId('tqs');
  const t = uniqueId('tqt');
  const r = uniqueId('tqr');
  await px.call('POST', '/api/v1/blueprints', { identifier: t, title: 'Team', schema: { properties: {} } });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: r,
    title: 'Resource',
    schema: { properties: {} },
  });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: s,
    title: 'Service',
    schema: {
      properties: {
        tier: { type: 'integer' },
        lang: { type: 'string', enum: ['go', 'ts'] },
        tags: { type: 'array', items: { type: 'string' } },
      },
    },
    relations: { ownedBy: { target: t, many: false }, uses: { target: [t, r], many: true } },
  });
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: t, identifier: 'payments' },
      { blueprint: t, identifier: 'search' },
      { blueprint: r, identifier: 'db' },
      {
        blueprint: s,
        identifier: 'cart',
        title: 'Cart',
        properties: { tier: 1, lang: 'ts', tags: ['pci'] },
        relations: { ownedBy: 'payments', uses: [`${r}:db`] },
      },
      {
        blueprint: s,
        identifier: 'checkout',
        title: 'Checkout',
        properties: { tier: 2, lang: 'go' },
        relations: { ownedBy: 'payments' },
      },
      {
        blueprint: s,
        identifier: 'finder',
        title: 'Finder',
        properties: { tier: 3, lang: 'go' },
        relations: { ownedBy: 'search', uses: [`${t}:payments`] },
      },
      { blueprint: s, identifier: 'orphan', title: 'Orphan', properties: { tier: 3, lang: 'ts' } },
    ],
  });
  model = (await px.call('GET', '/api/v1/blueprints')).body.blueprints;
  svc = model.find((b) => b.identifier === s)!;
  team = model.find((b) => b.identifier === t)!;
  res = model.find((b) => b.identifier === r)!;
});
afterAll(async () => {
  await px?.close();
});

async function table(bp: Blueprint, change: Partial<ViewDefinition>, page = 1) {
  const def = { ...defaultDefinition(bp, model), ...change };
  const { query, variables } = buildTableQuery(bp, model, def, page);
  const r = await px.call('POST', '/graphql', { query, variables });
  expect(r.body.errors).toBeUndefined();
  return r.body.data as {
    rows: ({ identifier: string } & Record<string, unknown>)[];
    total: { totalCount: number };
  };
}

const ids = (d: { rows: { identifier: string }[] }) => d.rows.map((r) => r.identifier);

describe('catalog table queries', () => {
  it('pages with limit/offset and counts the whole result', async () => {
    const first = await table(svc, { pageSize: 25, sort: { field: 'identifier', direction: 'ASC' } });
    expect(first.total.totalCount).toBe(4);
    expect(ids(first)).toEqual(['cart', 'checkout', 'finder', 'orphan']);
    const def = { ...defaultDefinition(svc, model), pageSize: 25 };
    const { variables } = buildTableQuery(svc, model, def, 3);
    expect(variables.offset).toBe(50);
  });

  it('sorts by a property with identifier as tie-breaker', async () => {
    const d = await table(svc, { sort: { field: 'tier', direction: 'DESC' } });
    expect(ids(d)).toEqual(['finder', 'orphan', 'checkout', 'cart']);
  });

  it('filters by property comparisons, enum inequality, array membership and quick text', async () => {
    expect(ids(await table(svc, { filters: [{ field: 'tier', op: 'gte', value: '2' }] }))).toEqual([
      'checkout',
      'finder',
      'orphan',
    ]);
    expect(ids(await table(svc, { filters: [{ field: 'lang', op: 'neq', value: 'go' }] }))).toEqual([
      'cart',
      'orphan',
    ]);
    expect(ids(await table(svc, { filters: [{ field: 'tags', op: 'includes', value: 'pci' }] }))).toEqual([
      'cart',
    ]);
    expect(ids(await table(svc, { q: 'Check' }))).toEqual(['checkout']);
    // Quick text ignores case: 'CHECK' finds the identifier 'checkout'.
    expect(ids(await table(svc, { q: 'CHECK' }))).toEqual(['checkout']);
  });

  it('filters by related entity, by its absence, and through an incoming relation', async () => {
    expect(ids(await table(svc, { filters: [{ field: 'ownedBy', op: 'is', value: 'payments' }] }))).toEqual([
      'cart',
      'checkout',
    ]);
    expect(
      ids(await table(svc, { filters: [{ field: 'ownedBy', op: 'isNot', value: 'payments' }] })),
    ).toEqual(['finder', 'orphan']);
    expect(ids(await table(svc, { filters: [{ field: 'ownedBy', op: 'none' }] }))).toEqual(['orphan']);
    expect(ids(await table(svc, { filters: [{ field: 'ownedBy', op: 'any' }] }))).toEqual([
      'cart',
      'checkout',
      'finder',
    ]);
    const inverse = inverseFieldOf(svc, 'ownedBy', svc.relations!.ownedBy);
    const teams = await table(team, {
      columns: [inverse],
      filters: [{ field: inverse, op: 'is', value: 'finder' }],
    });
    expect(ids(teams)).toEqual(['search']);
    expect((teams.rows[0][inverse] as { identifier: string }[]).map((r) => r.identifier)).toEqual(['finder']);
  });

  it('filters and shows a relation with several target blueprints', async () => {
    expect(
      ids(await table(svc, { filters: [{ field: 'uses', op: 'is', value: `${res.identifier}:db` }] })),
    ).toEqual(['cart']);
    expect(ids(await table(svc, { filters: [{ field: 'uses', op: 'none' }] }))).toEqual([
      'checkout',
      'orphan',
    ]);
    expect(ids(await table(svc, { filters: [{ field: 'uses', op: 'any' }] }))).toEqual(['cart', 'finder']);
    const d = await table(svc, { columns: ['uses', 'ownedBy'], filters: [{ field: 'uses', op: 'any' }] });
    expect(d.rows[1].uses).toEqual([{ identifier: 'payments', title: null, _blueprint: team.identifier }]);
    expect((d.rows[0].ownedBy as { identifier: string }[])[0].identifier).toBe('payments');
  });
});
