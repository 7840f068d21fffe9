import type { Blueprint, Model } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { readRuleLibrary } from '../scorecards/rule-library.ts';
import { describeUnknownName, findUnknownNames } from './check-cypher-against-model.ts';
import { listPacks, mergePackBlueprints, readPack } from './packs.ts';

/** The model after loading `packs` in order, merged as `POST /api/v1/packs/{pack}` merges them. */
const modelOf = (...packs: string[]): Model =>
  packs.reduce((model: Model, p) => {
    const next = new Map(model);
    for (const b of mergePackBlueprints(readPack(p), model)) next.set(b.identifier, b);
    return next;
  }, new Map<string, Blueprint>());
const sdlc = modelOf('sdlc');
// The sdlc service has a providesApis too: for a rule on components, the component's is named.
const both = modelOf('sdlc', 'backstage');

describe('checking Cypher against the model', () => {
  it('refuses "all its APIs have an owner" written with a wrong relationship type, suggesting the right one', () => {
    const rule = 'ALL(a IN [(e)-[:PROVIDES_API]->(x:Api) | x] WHERE EXISTS { (a)-[:OWNED_BY]->() })';
    const unknown = findUnknownNames(both, rule, { entity: 'component' });
    expect(unknown).toEqual([
      {
        kind: 'relationship type',
        name: 'PROVIDES_API',
        suggestion: 'PROVIDES_APIS',
        suggestionSource: 'relation providesApis of component',
      },
    ]);
    expect(describeUnknownName(unknown[0])).toMatch(
      /relationship type PROVIDES_API is not in the model; did you mean PROVIDES_APIS/,
    );
    expect(
      findUnknownNames(both, rule.replace('PROVIDES_API]', 'PROVIDES_APIS]'), { entity: 'component' }),
    ).toEqual([]);
  });

  it('names unknown labels and properties of the entity and of labelled pattern variables', () => {
    const unknown = findUnknownNames(
      sdlc,
      "e.creationDate IS NOT NULL AND EXISTS { (e)<-[:DEPLOYS]-(d:Deploymnet) WHERE d.status = 'ok' } AND EXISTS { (e)-[:OWNED_BY]->(t:Team {onCall: true}) }",
      { entity: 'service' },
    );
    expect(unknown).toEqual([
      {
        kind: 'label',
        name: 'Deploymnet',
        suggestion: 'Deployment',
        suggestionSource: 'blueprint deployment',
      },
      { kind: 'property', name: 'creationDate', suggestion: 'createdAt' },
      { kind: 'property', name: 'onCall', suggestion: 'onCallUrl' },
    ]);
  });

  it('checks a property against the blueprint of its variable, not any blueprint', () => {
    // onCallUrl is a team property, not a service one.
    expect(
      findUnknownNames(sdlc, "coalesce(e.onCallUrl, '') <> ''", { entity: 'service' }).map((u) => u.name),
    ).toEqual(['onCallUrl']);
    expect(findUnknownNames(sdlc, "coalesce(e.onCallUrl, '') <> ''", { entity: 'team' })).toEqual([]);
    expect(
      findUnknownNames(sdlc, 'e.identifier IS NOT NULL AND e.title IS NOT NULL', { entity: 'team' }),
    ).toEqual([]);
  });

  it('reads label expressions, multiple relationship types, ranges and map projections', () => {
    const q =
      'MATCH (s:Service|Library)-[r:DEPENDS_ON|:OWNED_BY*1..3]->(x:Entity) WHERE s:Service AND r.since > 1 RETURN s {.tier, .nmae}, x.tier';
    expect(findUnknownNames(sdlc, q).map((u) => `${u.kind} ${u.name}`)).toEqual([
      'property since',
      'property nmae',
    ]);
  });

  it('leaves map values, UNWIND rows, strings, comments and function namespaces alone', () => {
    const q =
      "// :Nope\nUNWIND $rows AS row WITH row, {k: 1} AS m MATCH (n:Service {identifier: row.id}) WHERE n.tier = 'x:Nope' AND m.k = 1 RETURN apoc.coll.sum([1.5, 2]) AS s, date.truncate('day', date()) AS d";
    expect(findUnknownNames(sdlc, q)).toEqual([]);
  });

  it("takes what the database reports unknown as a second signal, but the model's names win", () => {
    const reported = {
      labels: ['Service', 'Ghost'],
      relationshipTypes: ['OWNED_BY', 'HAUNTS'],
      properties: ['tier', 'spooky', 'k'],
    };
    const q = 'WITH {k: 1} AS m MATCH (n) WITH n AS y RETURN y.spooky, m.k';
    expect(findUnknownNames(sdlc, q, { reported }).map((u) => `${u.kind} ${u.name}`)).toEqual([
      'label Ghost',
      'relationship type HAUNTS',
      'property spooky',
    ]);
  });

  it("trusts only the database about Plexus's own underscore names", () => {
    expect(
      findUnknownNames(sdlc, 'MATCH (b:_Blueprint)-[:_PENDING_TO]->(p) RETURN b.definition, p._createdAt'),
    ).toEqual([]);
    expect(
      findUnknownNames(sdlc, 'MATCH (b:_Bluprint) RETURN b', {
        reported: { labels: ['_Bluprint'], relationshipTypes: [], properties: [] },
      }).map((u) => u.name),
    ).toEqual(['_Bluprint']);
  });

  it('passes every rule of the library against the blueprints it is written for', () => {
    const model = modelOf(...listPacks().map((p) => p.identifier));
    for (const rule of readRuleLibrary())
      for (const bp of rule.blueprints)
        expect(findUnknownNames(model, rule.cypher, { entity: bp }), `${rule.identifier} on ${bp}`).toEqual(
          [],
        );
  });
});
