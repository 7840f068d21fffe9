import type { Blueprint, Model } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import type { ErrorDetail } from '../errors.ts';
import { compileScorecard, normalizeScorecard } from './compile-scorecard.ts';

const service: Blueprint = {
  identifier: 'service',
  title: 'Service',
  schema: { properties: { tier: { type: 'integer' }, lifecycle: { type: 'string' } }, required: [] },
  relations: { dependsOn: { target: 'service', many: true }, ownedBy: { target: 'team', many: false } },
};
const team: Blueprint = {
  identifier: 'team',
  title: 'Team',
  schema: { properties: {}, required: [] },
  relations: {},
};
const model: Model = new Map([
  ['service', service],
  ['team', team],
]);

function compile(input: Record<string, unknown>) {
  const { scorecard, details } = normalizeScorecard({ identifier: 'prod', blueprint: 'service', ...input });
  const compiled = compileScorecard(model, scorecard, details);
  return { compiled, details, scorecard };
}

describe('normalizeScorecard', () => {
  it('fills the default levels and rule titles', () => {
    const { scorecard, details } = normalizeScorecard({
      identifier: 'prod',
      blueprint: 'service',
      rules: [{ identifier: 'owner', level: 'Bronze', cypher: 'true' }],
    });
    expect(details).toEqual([]);
    expect(scorecard.levels).toEqual(['Basic', 'Bronze', 'Silver', 'Gold']);
    expect(scorecard.rules[0].title).toBe('owner');
  });

  it('refuses a rule on the base level, which every entity has', () => {
    const { details } = normalizeScorecard({
      identifier: 'prod',
      blueprint: 'service',
      rules: [{ identifier: 'owner', level: 'Basic', cypher: 'true' }],
    });
    expect(details).toEqual([
      {
        path: '/rules/0/level',
        message: 'level must be one of Bronze, Silver, Gold (Basic is the base every entity has)',
      },
    ]);
  });

  it('refuses a rule with both cypher and the simple form', () => {
    const { details } = normalizeScorecard({
      identifier: 'prod',
      blueprint: 'service',
      rules: [{ identifier: 'x', level: 'Gold', cypher: 'true', property: 'tier', operator: 'isNotEmpty' }],
    });
    expect(details.map((d) => d.message)).toEqual([
      'a rule has either "cypher" or the simple form (property, operator, value), not both',
    ]);
  });
});

describe('compileScorecard', () => {
  it('builds one query over all targets: filter and simple rules over n, Cypher rules over e', () => {
    const { compiled, details } = compile({
      filter: { rules: [{ property: 'lifecycle', operator: '=', value: 'production' }] },
      rules: [
        { identifier: 'owner', level: 'Bronze', cypher: 'EXISTS { (e)-[:OWNED_BY]->() }' },
        { identifier: 'tier', level: 'Silver', property: 'tier', operator: '<=', value: 2 },
      ],
    });
    expect(details).toEqual([]);
    const { query, params } = compiled!.query();
    expect(query).toMatchInlineSnapshot(`
      "MATCH (n:Service)
      WHERE n.lifecycle = $param0
      WITH n AS e, [coalesce(n.tier <= $param1, false)] AS plexusSimple
      RETURN e.identifier AS entity, [coalesce((EXISTS { (e)-[:OWNED_BY]->() }) = true, false), plexusSimple[0]] AS passed"
    `);
    expect(params).toEqual({ param0: 'production', param1: expect.objectContaining({ low: 2 }) });
  });

  it('limits a partial run to $ids and can pick single rules', () => {
    const { compiled } = compile({
      rules: [
        { identifier: 'a', level: 'Bronze', cypher: 'true' },
        { identifier: 'b', level: 'Gold', cypher: 'false' },
      ],
    });
    const { query } = compiled!.query({ partial: true, rules: [1] });
    expect(query).toMatchInlineSnapshot(`
      "MATCH (n:Entity)
      WHERE (n._blueprint = $param0 AND n.identifier IN $ids AND true)
      WITH n AS e, [] AS plexusSimple
      RETURN e.identifier AS entity, [coalesce((false) = true, false)] AS passed"
    `);
  });

  it('reports unknown properties of simple rules at the rule', () => {
    const { details } = compile({
      rules: [{ identifier: 'x', level: 'Bronze', property: 'nope', operator: 'isNotEmpty' }],
    });
    expect(details).toEqual([{ path: '/rules/0/property', message: 'unknown property "nope" on service' }]);
  });

  it('reports an unknown blueprint', () => {
    const details: ErrorDetail[] = [];
    const { scorecard } = normalizeScorecard({ identifier: 'x', blueprint: 'nope', rules: [] });
    expect(compileScorecard(model, scorecard, details)).toBeNull();
    expect(details[0].path).toBe('/blueprint');
  });

  it('collects the relationship types the rules walk', () => {
    const typed = compile({
      rules: [
        { identifier: 'a', level: 'Bronze', cypher: 'EXISTS { (e)-[:DEPENDS_ON]->() }' },
        { identifier: 'b', level: 'Gold', relation: 'ownedBy' },
      ],
    });
    expect(typed.compiled!.relationshipTypes).toEqual(['DEPENDS_ON', 'OWNED_BY']);
    expect(
      compile({ rules: [{ identifier: 'a', level: 'Bronze', cypher: 'EXISTS { (e)-->() }' }] }).compiled!
        .relationshipTypes,
    ).toBeNull();
  });

  it('takes the reach of the furthest-looking rule or filter', () => {
    expect(
      compile({ rules: [{ identifier: 'a', level: 'Bronze', cypher: 'e.tier = 1' }] }).compiled!.hops,
    ).toBe(0);
    expect(
      compile({
        rules: [
          {
            identifier: 'a',
            level: 'Bronze',
            relation: 'dependsOn',
            depth: 2,
            rules: [{ relation: 'ownedBy' }],
          },
        ],
      }).compiled!.hops,
    ).toBe(3);
    expect(
      compile({ rules: [{ identifier: 'a', level: 'Bronze', cypher: 'EXISTS { (e)-[:DEPENDS_ON*]->() }' }] })
        .compiled!.hops,
    ).toBe(3);
  });
});
