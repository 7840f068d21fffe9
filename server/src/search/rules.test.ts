import type { Blueprint } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { toLuceneQuery } from './fulltext.ts';
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
    },
  ],
]);

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
      "MATCH (n:\`Service\`)
      WHERE true AND ((n.\`tier\` <= $p0) AND ((n.\`language\` STARTS WITH $p1) OR ($p2 IN coalesce(n.\`tags\`, []))) AND EXISTS { MATCH (n)-[:\`OWNED_BY\`]->(m1:Entity) WHERE m1.identifier = $p3 } AND EXISTS { MATCH (n)-[:\`DEPENDS_ON\`*1..3]->(m2:Entity) WHERE m2._blueprint = $p4 AND ((m2.\`identifier\` = $p5)) })
      WITH n ORDER BY n._blueprint, n.identifier LIMIT $limit
      RETURN properties(n) AS props, [(n)-[r]->(t:Entity) | [type(r), t._blueprint, t.identifier]] + [(n)-[:_PENDING_TO]->(p:_Pending) | [p.type, p.targetBlueprint, p.targetIdentifier]] AS rels"
    `);
    expect(params.p0).toEqual(expect.objectContaining({ low: 2 }));
    expect([params.p1, params.p2, params.p3, params.p4, params.p5]).toEqual(['ty', 'pci', 'payments', 'library', 'core-kafka']);
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
    expect(query).toContain('EXISTS { MATCH (n)<-[:`OWNED_BY`]-(m1:Entity) WHERE ((m1.`tier` = $p0)) }');
    const details = errorsOf(() => compileSearch(model, { blueprint: 'team', rules: [{ relation: 'ownedBy', direction: 'outgoing' }] }));
    expect(details[0].message).toMatch(/does not start at team/);
  });
});

describe('toLuceneQuery', () => {
  it('matches words exactly, by prefix and with one typo from four letters on, never passing operators through', () => {
    expect(toLuceneQuery('Cart servce')).toBe('(cart^4 OR cart*^2 OR cart~1) AND (servce^4 OR servce*^2 OR servce~1)');
    expect(toLuceneQuery('a:b* OR "x"~ (y) -z')).toBe('(a^4 OR a*^2) AND (b^4 OR b*^2) AND (or^4 OR or*^2) AND (x^4 OR x*^2) AND (y^4 OR y*^2) AND (z^4 OR z*^2)');
    expect(toLuceneQuery('  -- ')).toBeNull();
  });
});
