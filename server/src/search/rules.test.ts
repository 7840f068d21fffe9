import type { Blueprint } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import type { ReadScope } from '../auth/authorize.ts';
import { ValidationError } from '../errors.ts';
import { toLuceneQuery } from './fulltext.ts';
import { compileReachable } from './reachable.ts';
import { compileSearch } from './rules.ts';

const model = new Map<string, Blueprint>([
  ['team', { identifier: 'team', title: 'Team', schema: { properties: { size: { type: 'integer' } } }, relations: {} }],
  ['library', { identifier: 'library', title: 'Library', schema: { properties: {} }, relations: { dependsOn: { target: 'library', many: true } } }],
  [
    'service',
    {
      identifier: 'service',
      title: 'Service',
      schema: { properties: { tier: { type: 'integer' }, language: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, meta: { type: 'object' } } },
      relations: { ownedBy: { target: 'team' }, dependsOn: { target: ['service', 'library'], many: true } },
      calculated: { dependencyCount: { type: 'integer', cypher: 'COUNT { (e)-[:DEPENDS_ON]->() }' } },
    },
  ],
]);

/** Reads teams in full, services only through their owner relation to payments. */
const ownersOnly: ReadScope = { unrestricted: false, all: ['team', 'library'], owned: { service: 'OWNED_BY' }, teams: ['payments'] };

function errorsOf(fn: () => unknown): { path?: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.details;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('compileSearch', () => {
  it('compiles property, relation and nested rules into parameterised Cypher', () => {
    const { query, params } = compileSearch(model, {
      blueprint: 'service',
      combinator: 'and',
      rules: [
        { property: 'tier', operator: '<=', value: 2 },
        { combinator: 'or', rules: [{ property: 'language', operator: 'beginsWith', value: 'ty' }, { property: 'tags', operator: 'contains', value: 'pci' }] },
        { relation: 'ownedBy', direction: 'outgoing', identifier: 'payments' },
        { relation: 'dependsOn', direction: 'outgoing', depth: 3, blueprint: 'library', rules: [{ property: 'identifier', operator: '=', value: 'core-kafka' }] },
      ],
    });
    expect(query).toMatchInlineSnapshot(`
      "MATCH (n:Entity)
      WHERE ((n.tier <= $param0 AND (n.language STARTS WITH $param1 OR $param2 IN coalesce(n.tags, [])) AND EXISTS {
        MATCH (n)-[:OWNED_BY]->(this0:Entity)
        WHERE this0.identifier = $param3
      } AND EXISTS {
        MATCH (n)-[:DEPENDS_ON*1..3]->(this1:Entity)
        WHERE (this1._blueprint = $param4 AND this1.identifier = $param5)
      }) AND n._blueprint = $param6 AND n.identifier IS NOT NULL)
      WITH n
      ORDER BY n._blueprint ASC, n.identifier ASC
      LIMIT $param7
      RETURN properties(n) AS props, ([(n)-[this2]->(this3:Entity) | [type(this2), this3._blueprint, this3.identifier]] + [(n)-[:_PENDING_TO]->(this4:_Pending) | [this4.type, this4.targetBlueprint, this4.targetIdentifier]]) AS rels"
    `);
    expect(params.param0).toEqual(expect.objectContaining({ low: 2 }));
    expect([params.param1, params.param2, params.param3, params.param4, params.param5]).toEqual(['ty', 'pci', 'payments', 'library', 'core-kafka']);
    // The blueprint is matched by the entity key, whose index gives the page's order.
    expect(params.param6).toBe('service');
    expect(params.param7).toEqual(expect.objectContaining({ low: 51 }));
  });

  it('keeps values out of the query text, whatever they contain', () => {
    const evil = "x' }) DETACH DELETE n //";
    const { query, params } = compileSearch(model, { blueprint: 'service', rules: [{ property: 'language', operator: '=', value: evil }] });
    expect(query).not.toContain('DETACH');
    expect(Object.values(params)).toContain(evil);
  });

  it('rejects property and relation names that are not in the model, instead of quoting them', () => {
    const details = errorsOf(() =>
      compileSearch(model, {
        blueprint: 'service',
        rules: [
          { property: 'tier` = 1 OR true //', operator: '=', value: 1 },
          { relation: 'ownedBy]->() DETACH DELETE n //', direction: 'outgoing' },
        ],
      }),
    );
    expect(details.map((d) => d.path)).toEqual(['/rules/0/property', '/rules/1/relation']);
  });

  it('names the rule, the operator or the value that is wrong', () => {
    const details = errorsOf(() =>
      compileSearch(model, {
        blueprint: 'service',
        rules: [
          { property: 'tier', operator: 'like' as never, value: 1 },
          { property: 'tier', operator: '=', value: 'one' },
          { property: 'language', operator: 'between', value: ['a'] },
          { property: 'meta', operator: '=', value: {} },
          { relation: 'ownedBy', direction: 'outgoing', depth: 99 },
        ],
      }),
    );
    expect(details).toEqual([
      { path: '/rules/0/operator', message: expect.stringContaining('operator must be one of') },
      { path: '/rules/1/value', message: 'value "one" is not a valid integer' },
      { path: '/rules/2/value', message: 'between needs [low, high]' },
      { path: '/rules/3/operator', message: expect.stringContaining('supports only isEmpty') },
      { path: '/rules/4/depth', message: 'depth must be an integer from 1 to 10' },
    ]);
  });

  it('resolves incoming relations to the blueprints that declare them', () => {
    const { query } = compileSearch(model, { blueprint: 'team', rules: [{ relation: 'ownedBy', direction: 'incoming', rules: [{ property: 'tier', operator: '=', value: 1 }] }] });
    expect(query).toContain('EXISTS {\n  MATCH (n)<-[:OWNED_BY]-(this0:Entity)\n  WHERE this0.tier = $param0\n}');
    const details = errorsOf(() => compileSearch(model, { blueprint: 'team', rules: [{ relation: 'ownedBy', direction: 'outgoing' }] }));
    expect(details[0].message).toMatch(/does not start at team/);
  });
});

describe('compileFilter', () => {
  it('keeps a restricted caller to readable entities: the match, every node of a walk and the relation targets', () => {
    const { query, params } = compileSearch(
      model,
      { blueprint: 'service', rules: [{ relation: 'dependsOn', depth: 2 }, { reachable: { relations: ['dependsOn', 'ownedBy'], depth: 3, blueprint: 'team' } }] },
      ownersOnly,
    );
    expect(query).toMatchInlineSnapshot(`
      "MATCH (n:Entity)
      WHERE (((EXISTS {
        MATCH p1 = (n)-[:DEPENDS_ON*1..2]->(this0:Entity)
        WHERE all(var2 IN nodes(p1) WHERE (var2._blueprint IN $authReadAll OR (var2._blueprint IN keys($authReadOwned) AND EXISTS {
          MATCH (var2)-[authOwner]->(authTeam:Entity)
          WHERE (type(authOwner) = $authReadOwned[var2._blueprint] AND authTeam.identifier IN $authTeams)
        })))
      } AND EXISTS {
        MATCH p4 = (n)-[:(DEPENDS_ON|OWNED_BY)*1..3]->(this3:Entity)
        WHERE (all(var5 IN nodes(p4) WHERE (var5._blueprint IN $authReadAll OR (var5._blueprint IN keys($authReadOwned) AND EXISTS {
          MATCH (var5)-[authOwner]->(authTeam:Entity)
          WHERE (type(authOwner) = $authReadOwned[var5._blueprint] AND authTeam.identifier IN $authTeams)
        }))) AND this3._blueprint = $param6)
      }) AND (n._blueprint IN $authReadAll OR (n._blueprint IN keys($authReadOwned) AND EXISTS {
        MATCH (n)-[authOwner]->(authTeam:Entity)
        WHERE (type(authOwner) = $authReadOwned[n._blueprint] AND authTeam.identifier IN $authTeams)
      }))) AND n._blueprint = $param10 AND n.identifier IS NOT NULL)
      WITH n
      ORDER BY n._blueprint ASC, n.identifier ASC
      LIMIT $param11
      RETURN properties(n) AS props, [(n)-[this7]->(this6:Entity) WHERE (this6._blueprint IN $authReadAll OR (this6._blueprint IN keys($authReadOwned) AND EXISTS {
        MATCH (this6)-[authOwner]->(authTeam:Entity)
        WHERE (type(authOwner) = $authReadOwned[this6._blueprint] AND authTeam.identifier IN $authTeams)
      })) | [type(this7), this6._blueprint, this6.identifier]] AS rels"
    `);
    expect(params).toMatchObject({ authReadAll: ['team', 'library'], authReadOwned: { service: 'OWNED_BY' }, authTeams: ['payments'], param6: 'team' });
  });

  it("reads a calculated property through its expression, bound to the rule's entity", () => {
    const { query } = compileSearch(model, { blueprint: 'service', rules: [{ property: 'dependencyCount', operator: '>', value: 3 }] });
    expect(query.split('\n')[1]).toMatchInlineSnapshot(`"WHERE ([e IN [n] | (COUNT { (e)-[:DEPENDS_ON]->() })][0] > $param0 AND n._blueprint = $param1 AND n.identifier IS NOT NULL)"`);
  });

  it('compares scorecard levels by their index in the scorecard, ignoring case', () => {
    const { query, params } = compileSearch(model, { blueprint: 'service', rules: [{ scorecard: 'readiness', below: 'Gold' }] });
    expect(query.split('\nWITH n')[0]).toMatchInlineSnapshot(`
      "MATCH (n:Entity)
      WHERE (EXISTS {
        MATCH (n)<-[:_SCORES]-(this0:_ScoreResult { scorecard: $param0 })
        MATCH (this1:_Scorecard { identifier: $param0 })
        WHERE this0.levelIndex < coalesce([var2 IN range(0, (size(this1.levels) - 1)) WHERE toLower(this1.levels[var2]) = $param1][0], -1)
      } AND n._blueprint = $param2 AND n.identifier IS NOT NULL)"
    `);
    expect(params).toMatchObject({ param0: 'readiness', param1: 'gold' });
  });
});

describe('compileReachable', () => {
  it('wraps the search predicate in a walk from one entity, every node on the way readable', () => {
    const compiled = compileReachable(
      model,
      { blueprint: 'service', identifier: 'checkout' },
      { relations: ['dependsOn'], direction: 'incoming', depth: 3, blueprint: 'service', where: [{ property: 'tier', operator: '=', value: 1 }] },
      { unrestricted: false, all: ['service', 'library', 'team'], owned: {}, teams: [] },
    );
    expect(compiled?.query).toMatchInlineSnapshot(`
      "MATCH (this0:Entity { identifier: $param0 })
      WHERE (this0._blueprint = $param1 AND this0._blueprint IN $authReadAll)
      MATCH p1 = (this0)<-[:DEPENDS_ON*1..3]-(n:Service)
      WHERE (n <> this0 AND all(var2 IN nodes(p1) WHERE var2._blueprint IN $authReadAll) AND (n.tier = $param4 AND n._blueprint IN $authReadAll))
      WITH n, min(length(p1)) AS distance
      ORDER BY distance ASC, n._blueprint ASC, n.identifier ASC
      LIMIT $param6
      RETURN n._blueprint AS blueprint, n.identifier AS identifier, distance"
    `);
    expect(compiled?.params).toMatchObject({ param0: 'checkout', param1: 'service', authReadAll: ['service', 'library', 'team'] });
  });
});

describe('toLuceneQuery', () => {
  it('matches words exactly, by prefix and with one typo from four letters on, never passing operators through', () => {
    expect(toLuceneQuery('Cart servce')).toBe('(cart^4 OR cart*^2 OR cart~1) AND (servce^4 OR servce*^2 OR servce~1)');
    expect(toLuceneQuery('a:b* OR "x"~ (y) -z')).toBe('(a^4 OR a*^2) AND (b^4 OR b*^2) AND (or^4 OR or*^2) AND (x^4 OR x*^2) AND (y^4 OR y*^2) AND (z^4 OR z*^2)');
    expect(toLuceneQuery('  -- ')).toBeNull();
  });
});
