import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRows } from '../db/driver.ts';
import { productionReadiness } from '../demo/load-demo.ts';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';

// Rules, calculated properties and saved queries are checked against the model when saved.
let px: TestPlexus;
let calcBp: string;
beforeAll(async () => {
  px = await startTestPlexus();
  expect((await px.call('POST', '/api/v1/packs/sdlc')).status).toBe(200);
  expect((await px.call('POST', '/api/v1/packs/backstage')).status).toBe(200);
  calcBp = uniqueId('calc');
  expect(
    (
      await px.call('POST', '/api/v1/blueprints', {
        identifier: calcBp,
        title: 'Calc',
        schema: { properties: { tier: { type: 'integer' } } },
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await px?.close();
});

const allApisOwned = (type: string) =>
  `ALL(a IN [(e)-[:${type}]->(x:Api) | x] WHERE EXISTS { (a)-[:OWNED_BY]->() })`;

describe('scorecard rules checked against the model', () => {
  it('refuses "all its APIs have an owner" with a wrong relationship type, naming the rule and the right type', async () => {
    const id = uniqueId('apis');
    const r = await px.call('POST', '/api/v1/scorecards', {
      identifier: id,
      blueprint: 'component',
      rules: [
        { identifier: 'apis-owned', level: 'Bronze', cypher: allApisOwned('PROVIDES_API') },
        { identifier: 'created', level: 'Silver', cypher: 'e.creationDate IS NOT NULL' },
      ],
    });
    expect(r.status).toBe(422);
    const details = r.body.error.details as {
      path: string;
      identifier: string;
      message: string;
      unknown: { name: string; suggestion?: string };
    }[];
    expect(details.map((d) => [d.path, d.identifier, d.unknown.name, d.unknown.suggestion])).toEqual([
      ['/rules/0/cypher', 'apis-owned', 'PROVIDES_API', 'PROVIDES_APIS'],
      ['/rules/1/cypher', 'created', 'creationDate', undefined],
    ]);
    expect(details[0].message).toMatch(
      /rule "apis-owned": relationship type PROVIDES_API is not in the model; did you mean PROVIDES_APIS \(relation providesApis of component\)/,
    );
    expect((await px.call('GET', `/api/v1/scorecards/${id}`)).status).toBe(404);
  });

  it('saves the same rule with the right type, and a wrong one when the rule says allowUnknown', async () => {
    const id = uniqueId('apis');
    const ok = await px.call('POST', '/api/v1/scorecards', {
      identifier: id,
      blueprint: 'component',
      rules: [
        { identifier: 'apis-owned', level: 'Bronze', cypher: allApisOwned('PROVIDES_APIS') },
        {
          identifier: 'later',
          level: 'Silver',
          cypher: 'EXISTS { (e)-[:RUNS_ON]->(:Cluster) }',
          allowUnknown: true,
        },
      ],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.rules[1].allowUnknown).toBe(true);
    await px.call('DELETE', `/api/v1/scorecards/${id}`);
  });

  it("accepts the demo's production readiness scorecard on the sdlc pack", async () => {
    const sc = { ...productionReadiness(), identifier: uniqueId('prod') };
    const r = await px.call('POST', '/api/v1/scorecards', sc);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await px.call('DELETE', `/api/v1/scorecards/${sc.identifier}`);
  });
});

describe('calculated properties checked against the model', () => {
  it('refuses an unknown relationship type and property, and keeps the blueprint as it was', async () => {
    const r = await px.call('PATCH', `/api/v1/blueprints/${calcBp}`, {
      calculated: {
        incidents: {
          type: 'integer',
          cypher: "COUNT { (e)<-[:AFECTS]-(i:Incident) WHERE i.state = 'open' }",
        },
      },
    });
    expect(r.status).toBe(422);
    const details = r.body.error.details as {
      path: string;
      unknown: { kind: string; name: string; suggestion?: string };
    }[];
    expect(details.map((d) => [d.path, d.unknown.kind, d.unknown.name, d.unknown.suggestion])).toEqual([
      ['/calculated/incidents/cypher', 'relationship type', 'AFECTS', 'AFFECTS'],
      ['/calculated/incidents/cypher', 'property', 'state', 'status'],
    ]);
    expect((await px.call('GET', `/api/v1/blueprints/${calcBp}`)).body.calculated ?? {}).toEqual({});
  });

  it('accepts it with the right names, or with allowUnknown', async () => {
    const right = await px.call('PATCH', `/api/v1/blueprints/${calcBp}`, {
      calculated: {
        incidents: {
          type: 'integer',
          cypher: "COUNT { (e)<-[:AFFECTS]-(i:Incident) WHERE i.status = 'open' }",
        },
      },
    });
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    const later = await px.call('PATCH', `/api/v1/blueprints/${calcBp}`, {
      calculated: {
        clusters: { type: 'integer', cypher: 'COUNT { (e)-[:RUNS_ON]->() }', allowUnknown: true },
      },
    });
    expect(later.status, JSON.stringify(later.body)).toBe(200);
  });
});

describe('saved Cypher queries checked against the model', () => {
  it('refuses a query naming a label the model lacks even when the database has it', async () => {
    // A label only in the database (no blueprint): the model is the reference.
    await writeRows(px.services.db, "MERGE (:LeftoverThing {identifier: 'x'})");
    const id = uniqueId('q');
    const r = await px.call('POST', '/api/v1/queries', {
      identifier: id,
      language: 'cypher',
      query:
        'MATCH (s:Servce)-[:OWNED_BY]->(t:Team) MATCH (l:LeftoverThing) RETURN s.identifier, t.slackChanel, l',
    });
    expect(r.status).toBe(422);
    const details = r.body.error.details as {
      identifier: string;
      message: string;
      unknown: { name: string; suggestion?: string };
    }[];
    expect(details.map((d) => [d.identifier, d.unknown.name, d.unknown.suggestion])).toEqual([
      [id, 'Servce', 'Service'],
      [id, 'LeftoverThing', undefined],
      [id, 'slackChanel', 'slackChannel'],
    ]);
    expect(details[0].message).toMatch(
      new RegExp(`saved query "${id}": label Servce is not in the model; did you mean Service`),
    );
  });

  it('saves it with allowUnknown and keeps the flag', async () => {
    const id = uniqueId('q');
    const r = await px.call('POST', '/api/v1/queries', {
      identifier: id,
      language: 'cypher',
      query: 'MATCH (l:LeftoverThing) RETURN l.identifier AS id',
      allowUnknown: true,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await px.call('GET', `/api/v1/queries/${id}`)).body.allowUnknown).toBe(true);
    await px.call('DELETE', `/api/v1/queries/${id}`);
  });
});
