import { labelOf, pluralFieldOf, relTypeOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../db/driver.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

let px: TestPlexus;
let svc: string;
let inc: string;

beforeAll(async () => {
  px = await startTestPlexus();
  svc = uniqueId('csvc');
  inc = uniqueId('cinc');
  expect((await px.call('POST', '/api/v1/blueprints', { identifier: svc, title: 'Svc', schema: { properties: { tier: { type: 'integer' } } } })).status).toBe(201);
  await px.call('POST', '/api/v1/blueprints', {
    identifier: inc,
    title: 'Inc',
    schema: { properties: { status: { type: 'string' } } },
    relations: { hits: { target: svc, many: true } },
  });
  const res = await px.call('PATCH', `/api/v1/blueprints/${svc}`, {
    calculated: {
      openIncidents: { type: 'integer', title: 'Open incidents', cypher: `COUNT { (e)<-[:${relTypeOf('hits')}]-(i:${labelOf(inc)} WHERE i.status = 'open') }` },
      shout: { type: 'string', cypher: "toUpper(e.identifier) + '!'" },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await px.call('POST', '/api/v1/entities/bulk', {
    entities: [
      { blueprint: svc, identifier: 'quiet', properties: { tier: 1 } },
      { blueprint: svc, identifier: 'noisy', properties: { tier: 1 } },
      { blueprint: inc, identifier: 'i1', properties: { status: 'open' }, relations: { hits: ['noisy'] } },
      { blueprint: inc, identifier: 'i2', properties: { status: 'open' }, relations: { hits: ['noisy'] } },
      { blueprint: inc, identifier: 'i3', properties: { status: 'closed' }, relations: { hits: ['quiet'] } },
    ],
  });
});
afterAll(async () => {
  await px?.close();
});

describe('calculated properties', () => {
  it('appear in REST reads', async () => {
    const noisy = await px.call('GET', `/api/v1/blueprints/${svc}/entities/noisy`);
    expect(noisy.body.calculated).toEqual({ openIncidents: 2, shout: 'NOISY!' });
    const list = await px.call('GET', `/api/v1/blueprints/${svc}/entities`);
    expect(Object.fromEntries(list.body.entities.map((e: { identifier: string; calculated: { openIncidents: number } }) => [e.identifier, e.calculated.openIncidents]))).toEqual({ noisy: 2, quiet: 0 });
  });

  it('appear in GraphQL, filterable as any field', async () => {
    const r = await px.call('POST', '/graphql', { query: `{ ${pluralFieldOf(svc)}(sort: [{ identifier: ASC }]) { identifier openIncidents shout } }` });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data[pluralFieldOf(svc)]).toEqual([
      { identifier: 'noisy', openIncidents: 2, shout: 'NOISY!' },
      { identifier: 'quiet', openIncidents: 0, shout: 'QUIET!' },
    ]);
  });

  it('work in search rules', async () => {
    const r = await px.call('POST', '/api/v1/search', { blueprint: svc, rules: [{ property: 'openIncidents', operator: '>', value: 0 }] });
    expect(r.status).toBe(200);
    expect(r.body.entities.map((e: { identifier: string }) => e.identifier)).toEqual(['noisy']);
  });

  it('are refused unless they are a single read-only expression, with a clear message, changing nothing', async () => {
    const attempts: [string, RegExp][] = [
      ['COUNT { CREATE (x:Hacked) }', /read-only|does not parse/],
      ["1) AS value UNION MATCH (x) DETACH DELETE x RETURN (1", /does not parse/],
      ["COUNT { LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l }", /LOAD CSV/],
      ["apoc.load.json('http://127.0.0.1:1/x')", /APOC functions/],
      ['e.identifier +', /does not parse/],
    ];
    for (const [cypher, message] of attempts) {
      const r = await px.call('PATCH', `/api/v1/blueprints/${svc}`, { calculated: { bad: { type: 'integer', cypher } } });
      expect(r.status, cypher).toBe(422);
      expect(r.body.error.details[0].path).toBe('/calculated/bad/cypher');
      expect(r.body.error.details.map((d: { message: string }) => d.message).join(' '), cypher).toMatch(message);
    }
    const [row] = await readRows<{ n: number }>(px.services.db, 'MATCH (x:Hacked) RETURN count(x) AS n');
    expect(row.n).toBe(0);
    expect(Object.keys((await px.call('GET', `/api/v1/blueprints/${svc}`)).body.calculated)).toEqual(['openIncidents', 'shout']);
  });

  it('refuses names that are not identifiers', async () => {
    const r = await px.call('PATCH', `/api/v1/blueprints/${svc}`, { calculated: { 'x`: 1}) DETACH DELETE n //': { type: 'integer', cypher: '1' } } });
    expect(r.status).toBe(422);
  });
});
