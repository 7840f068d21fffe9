import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

let px: TestPlexus;
let comp: string;
let res: string;

// db <-storage- api <-depends- web <-depends- mobile ; api -runtime-> cluster ; web -ownedBy... (none)
beforeAll(async () => {
  px = await startTestPlexus();
  res = uniqueId('res');
  comp = uniqueId('comp');
  await px.call('POST', '/api/v1/blueprints', { identifier: res, title: 'Resource', schema: { properties: {} } });
  await px.call('POST', '/api/v1/blueprints', {
    identifier: comp,
    title: 'Component',
    schema: { properties: {} },
    // Impact follows the relations of role dependency when no relations are named.
    relations: {
      dependsOn: { target: comp, many: true, role: 'dependency' },
      storage: { target: res, many: true, role: 'dependency' },
      runtime: { target: res, many: true, role: 'dependency' },
    },
  });
  const r = await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: res, identifier: 'db' },
      { blueprint: res, identifier: 'cluster' },
      { blueprint: comp, identifier: 'api', relations: { storage: ['db'], runtime: ['cluster'] } },
      { blueprint: comp, identifier: 'web', relations: { dependsOn: ['api'] } },
      { blueprint: comp, identifier: 'mobile', relations: { dependsOn: ['web', 'api'] } },
    ],
  });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await px?.close();
});

const nodes = (body: { nodes: { identifier: string; distance: number; direction: string }[] }) =>
  Object.fromEntries(body.nodes.map((n) => [n.identifier, [n.distance, n.direction]]));

describe('impact', () => {
  it('walks downstream (the blast radius) with shortest distances', async () => {
    const r = await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?direction=downstream&depth=5`);
    expect(r.status).toBe(200);
    expect(r.body.root).toMatchObject({ identifier: 'db', blueprint: res });
    expect(nodes(r.body)).toEqual({ api: [1, 'downstream'], web: [2, 'downstream'], mobile: [2, 'downstream'] });
    expect(r.body.edges).toEqual(
      expect.arrayContaining([
        { source: `${comp}:api`, target: `${res}:db`, relation: 'storage' },
        { source: `${comp}:web`, target: `${comp}:api`, relation: 'dependsOn' },
        { source: `${comp}:mobile`, target: `${comp}:web`, relation: 'dependsOn' },
        { source: `${comp}:mobile`, target: `${comp}:api`, relation: 'dependsOn' },
      ]),
    );
    expect(r.body.edges).toHaveLength(4);
  });

  it('walks upstream, limits depth and relation types, and combines both directions', async () => {
    const up = await px.call('GET', `/api/v1/blueprints/${comp}/entities/mobile/impact?direction=upstream&depth=5`);
    expect(nodes(up.body)).toEqual({ web: [1, 'upstream'], api: [1, 'upstream'], db: [2, 'upstream'], cluster: [2, 'upstream'] });
    const shallow = await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?depth=1`);
    expect(nodes(shallow.body)).toEqual({ api: [1, 'downstream'] });
    const onlyRuntime = await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?relations=runtime,dependsOn&depth=5`);
    expect(onlyRuntime.body.nodes).toEqual([]);
    const both = await px.call('GET', `/api/v1/blueprints/${comp}/entities/web/impact?direction=both&depth=5`);
    expect(nodes(both.body)).toEqual({ mobile: [1, 'downstream'], api: [1, 'upstream'], db: [2, 'upstream'], cluster: [2, 'upstream'] });
  });

  it('finds the paths between two entities', async () => {
    const r = await px.call('GET', `/api/v1/paths?from=${comp}:mobile&to=${res}:db`);
    expect(r.status).toBe(200);
    expect(r.body.paths).toHaveLength(1);
    expect(r.body.paths[0].nodes.map((n: { identifier: string }) => n.identifier)).toEqual(['mobile', 'api', 'db']);
    expect(r.body.paths[0].edges.map((e: { relation: string }) => e.relation)).toEqual(['dependsOn', 'storage']);
  });

  it('answers 404 for an unknown entity and 400 for bad parameters', async () => {
    expect((await px.call('GET', `/api/v1/blueprints/${res}/entities/nope/impact`)).status).toBe(404);
    expect((await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?depth=0`)).status).toBe(400);
    expect((await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?direction=sideways`)).status).toBe(400);
    const bad = await px.call('GET', `/api/v1/blueprints/${res}/entities/db/impact?relations=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/unknown relation "nope"/);
  });
});
