import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Impact to people and aggregations as a caller who may not read every blueprint: entities of a
// hidden blueprint are neither returned, nor walked through, nor counted; bad requests are 400s
// that say what is wrong.
//
//   core <-dependsOn- a (owned by t1) <-dependsOn- b (owned by t2)
//   core <-dependsOn- hidden (secret blueprint) <-dependsOn- c (owned by t1)
//   alice: member of t1 and on call for it; bob: member of t2. Teams are admin-only.
let px: TestPlexus;
const u = uniqueId('');
const bp = { team: `tm${u}`, person: `pp${u}`, comp: `cp${u}`, secret: `sc${u}` };
let viewer = '';

async function ok(res: Promise<{ status: number; body: any }>) {
  const r = await res;
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
  return r.body;
}

beforeAll(async () => {
  px = await startTestPlexus();
  const post = (body: unknown) => ok(px.call('POST', '/api/v1/blueprints', body));
  await post({ identifier: bp.team, title: 'Team', schema: { properties: {} }, permissions: { read: { roles: ['admin'] } } });
  await post({
    identifier: bp.person,
    title: 'Person',
    schema: { properties: {} },
    relations: {
      memberOf: { target: bp.team, many: true, role: 'membership' },
      onCallFor: { target: bp.team, role: 'oncall' },
    },
  });
  await post({
    identifier: bp.comp,
    title: 'Component',
    schema: { properties: { tier: { type: 'integer' }, language: { type: 'string' } } },
    relations: { ownedBy: { target: bp.team, role: 'ownership' } },
  });
  await post({ identifier: bp.secret, title: 'Secret', schema: { properties: {} }, permissions: { read: { roles: ['admin'] } } });
  // dependsOn points at components and secrets from both blueprints.
  for (const b of [bp.comp, bp.secret]) {
    const current = (await px.call('GET', `/api/v1/blueprints/${b}`)).body;
    await ok(
      px.call('PUT', `/api/v1/blueprints/${b}`, {
        ...current,
        relations: { ...current.relations, dependsOn: { target: [bp.comp, bp.secret], many: true, role: 'dependency' } },
      }),
    );
  }
  await ok(
    px.call('POST', '/api/v1/entities/bulk', {
      entities: [
        { blueprint: bp.team, identifier: `t1-${u}` },
        { blueprint: bp.team, identifier: `t2-${u}` },
        { blueprint: bp.person, identifier: `alice-${u}`, relations: { memberOf: [`t1-${u}`], onCallFor: `t1-${u}` } },
        { blueprint: bp.person, identifier: `bob-${u}`, relations: { memberOf: [`t2-${u}`] } },
        { blueprint: bp.comp, identifier: `core-${u}`, properties: { tier: 1, language: 'go' } },
        { blueprint: bp.comp, identifier: `a-${u}`, properties: { tier: 1, language: 'go' }, relations: { dependsOn: [`${bp.comp}:core-${u}`], ownedBy: `t1-${u}` } },
        { blueprint: bp.comp, identifier: `b-${u}`, properties: { tier: 3, language: 'ts' }, relations: { dependsOn: [`${bp.comp}:a-${u}`], ownedBy: `t2-${u}` } },
        { blueprint: bp.secret, identifier: `hidden-${u}`, relations: { dependsOn: [`${bp.comp}:core-${u}`] } },
        { blueprint: bp.comp, identifier: `c-${u}`, properties: { tier: 2, language: 'go' }, relations: { dependsOn: [`${bp.secret}:hidden-${u}`], ownedBy: `t1-${u}` } },
      ],
    }),
  );
  viewer = (await ok(px.call('POST', '/api/v1/tokens', { name: `agg-viewer-${u}`, role: 'viewer' }))).token;
}, 600_000);

afterAll(async () => {
  await px?.close();
});

const ids = (list: { identifier: string }[]) => list.map((e) => e.identifier.replace(`-${u}`, '')).sort();
const impactPath = `/api/v1/blueprints/${bp.comp}/entities/core-${u}/impact?depth=3&include=owners,members,oncall`;

describe('impact to people under read permissions', () => {
  it('gives an admin every affected entity, its owners, their members and on-call', async () => {
    const r = await px.call('GET', impactPath);
    expect(r.status).toBe(200);
    expect(ids(r.body.nodes)).toEqual(['a', 'b', 'c', 'hidden']);
    expect(r.body.summary.byBlueprint).toEqual({ [bp.comp]: 3, [bp.secret]: 1 });
    expect(r.body.summary.teams.map((t: { identifier: string; entities: number }) => [t.identifier, t.entities])).toEqual([
      [`t1-${u}`, 2],
      [`t2-${u}`, 1],
    ]);
    expect(ids(r.body.summary.onCall)).toEqual(['alice']);
    expect(ids(r.body.summary.people)).toEqual(['alice', 'bob']);
    const a = r.body.nodes.find((n: { identifier: string }) => n.identifier === `a-${u}`);
    expect(ids(a.owners)).toEqual(['t1']);
    expect(ids(a.members)).toEqual(['alice']);
    expect(ids(a.onCall)).toEqual(['alice']);
    expect(a.path).toEqual([`${bp.comp}:core-${u}`, `${bp.comp}:a-${u}`]);
  });

  it('hides from a viewer the entities, owners and people it may not read, and what lies behind them', async () => {
    const r = await px.call('GET', impactPath, undefined, { token: viewer });
    expect(r.status).toBe(200);
    // c is reached only through the hidden entity: not reached at all.
    expect(ids(r.body.nodes)).toEqual(['a', 'b']);
    expect(r.body.summary.byBlueprint).toEqual({ [bp.comp]: 2 });
    expect(r.body.summary.teams).toEqual([]);
    expect(r.body.summary.people).toEqual([]);
    expect(JSON.stringify(r.body)).not.toMatch(/hidden|t1-|t2-/);
  });
});

describe('aggregations', () => {
  const search = { blueprint: bp.comp, rules: [{ property: 'identifier', operator: 'endsWith', value: `-${u}` }] };

  it('groups a search by property with count, sum, min, max and avg, sorted and limited', async () => {
    const r = await px.call('POST', '/api/v1/search/aggregate', {
      ...search,
      groupBy: 'property:language',
      metrics: ['count', 'sum:tier', 'min:tier', 'max:tier', 'avg:tier'],
      sort: '-count',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      total: 4,
      groups: [
        { key: 'go', count: 3, 'sum:tier': 4, 'min:tier': 1, 'max:tier': 2, 'avg:tier': 4 / 3 },
        { key: 'ts', count: 1, 'sum:tier': 3, 'min:tier': 3, 'max:tier': 3, 'avg:tier': 3 },
      ],
    });
    const limited = await px.call('POST', '/api/v1/search/aggregate', { ...search, groupBy: 'property:tier', sort: 'key', limit: 2 });
    expect(limited.body.groups).toEqual([
      { key: 1, count: 2 },
      { key: 2, count: 1 },
    ]);
  });

  it('counts by related entity only what the caller may read', async () => {
    const body = { ...search, groupBy: 'relation:ownedBy' };
    const admin = await px.call('POST', '/api/v1/search/aggregate', body);
    expect(admin.body.groups).toEqual([
      { key: `t1-${u}`, title: null, blueprint: bp.team, count: 2 },
      { key: `t2-${u}`, title: null, blueprint: bp.team, count: 1 },
      { key: null, title: null, count: 1 },
    ]);
    // The teams are admin-only: a viewer's components fall in the "no readable owner" group.
    const asViewer = await px.call('POST', '/api/v1/search/aggregate', body, { token: viewer });
    expect(asViewer.status).toBe(200);
    expect(asViewer.body.groups).toEqual([{ key: null, title: null, count: 4 }]);
  });

  it('counts neither the entities of a hidden blueprint nor what is reached through them', async () => {
    const byBlueprint = { rules: [{ property: 'identifier', operator: 'endsWith', value: `-${u}` }], groupBy: 'blueprint' };
    const admin = await px.call('POST', '/api/v1/search/aggregate', byBlueprint);
    expect(admin.body.groups).toEqual([
      { key: bp.comp, count: 4 },
      { key: bp.person, count: 2 },
      { key: bp.team, count: 2 },
      { key: bp.secret, count: 1 },
    ]);
    const asViewer = await px.call('POST', '/api/v1/search/aggregate', byBlueprint, { token: viewer });
    expect(asViewer.body.groups).toEqual([
      { key: bp.comp, count: 4 },
      { key: bp.person, count: 2 },
    ]);
    const blast = { impact: { blueprint: bp.comp, identifier: `core-${u}`, depth: 3 }, groupBy: 'blueprint' };
    expect((await px.call('POST', '/api/v1/search/aggregate', blast)).body).toEqual({
      total: 4,
      groups: [
        { key: bp.comp, count: 3 },
        { key: bp.secret, count: 1 },
      ],
    });
    expect((await px.call('POST', '/api/v1/search/aggregate', blast, { token: viewer })).body).toEqual({
      total: 2,
      groups: [{ key: bp.comp, count: 2 }],
    });
    // Only one kind of the blast radius; a root that does not exist is a 404, not an empty answer.
    expect((await px.call('POST', '/api/v1/search/aggregate', { ...blast, blueprint: bp.secret })).body).toEqual({
      total: 1,
      groups: [{ key: bp.secret, count: 1 }],
    });
    const missing = await px.call('POST', '/api/v1/search/aggregate', {
      ...blast,
      impact: { ...blast.impact, identifier: `nope-${u}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(`entity "nope-${u}"`);
  });

  it('refuses unknown properties, relations, metrics and too deep walks with 400 and a clear message', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...search, groupBy: 'property:colour' }, new RegExp(`unknown property "colour" on ${bp.comp}`)],
      [{ ...search, groupBy: 'relation:ownedByy' }, /unknown relation "ownedByy"/],
      [{ ...search, groupBy: 'owner' }, /groupBy "owner" is not known; use "blueprint", "property:<name>" or "relation:<name>"/],
      [{ ...search, groupBy: 'blueprint', metrics: ['sum:colour'] }, /unknown property "colour"/],
      [{ ...search, groupBy: 'blueprint', metrics: ['sum:language'] }, /property "language" is string, not a number/],
      [{ ...search, groupBy: 'blueprint', metrics: ['median:tier'] }, /metric "median:tier" is not known/],
      [{ ...search, groupBy: 'blueprint', sort: '-sum:tier' }, /sort "-sum:tier" names no metric/],
      [{ impact: { blueprint: bp.comp, identifier: `core-${u}`, depth: 11 }, groupBy: 'blueprint' }, /depth must be an integer from 1 to 10/],
      [{ impact: { blueprint: bp.comp, identifier: `core-${u}`, relations: ['nope'] }, groupBy: 'blueprint' }, /unknown relation "nope"/],
    ];
    for (const [body, message] of cases) {
      const r = await px.call('POST', '/api/v1/search/aggregate', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
  });

  it('refuses a reachable rule that is too deep or names an unknown relation, saying where', async () => {
    const r = await px.call('POST', '/api/v1/search', {
      blueprint: bp.comp,
      rules: [{ reachable: { relations: ['dependsOn', 'uses'], depth: 7 } }],
    });
    expect(r.status).toBe(422);
    expect(r.body.error.details).toEqual(
      expect.arrayContaining([{ path: '/rules/0/reachable/depth', message: 'depth must be an integer from 1 to 6' }]),
    );
    const unknown = await px.call('POST', '/api/v1/search', { blueprint: bp.comp, rules: [{ reachable: { relations: ['dependsOnn'] } }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0]).toMatchObject({ path: '/rules/0/reachable/relations', message: expect.stringMatching(/unknown relation "dependsOnn"/) });
  });

  it('finds what reaches an entity over several relations with one reachable rule, through readable entities only', async () => {
    const body = {
      blueprint: bp.comp,
      rules: [{ reachable: { relations: ['dependsOn'], depth: 3, identifier: `core-${u}` } }],
    };
    expect(ids((await px.call('POST', '/api/v1/search', body)).body.entities)).toEqual(['a', 'b', 'c']);
    expect(ids((await px.call('POST', '/api/v1/search', body, { token: viewer })).body.entities)).toEqual(['a', 'b']);
    // Two relationship types in one variable-length walk (ownedBy leads to teams, never to core).
    const both = { ...body, rules: [{ reachable: { relations: ['dependsOn', 'ownedBy'], depth: 3, identifier: `core-${u}` } }] };
    expect(ids((await px.call('POST', '/api/v1/search', both)).body.entities)).toEqual(['a', 'b', 'c']);
  });
});
