import Cypher from '@neo4j/cypher-builder';
import { describe, expect, it } from 'vitest';
import { cypherInt, loadQuery } from '../db/query-loader.ts';
import type { ReadScope } from './authorize.ts';
import { readable, visibleSlots, visiblePredicate } from './read-scope-cypher.ts';

const everything: ReadScope = { unrestricted: true, all: ['service', 'team'], owned: {}, teams: [] };
const byBlueprint: ReadScope = { unrestricted: false, all: ['service'], owned: {}, teams: ['payments'] };
const withOwners: ReadScope = { unrestricted: false, all: ['team'], owned: { service: 'OWNED_BY' }, teams: ['payments'] };

describe('readable', () => {
  it('composes into a built query, carrying the scope as named parameters', () => {
    const n = new Cypher.Node();
    const { cypher, params } = new Cypher.Match(new Cypher.Pattern(n, { labels: ['Entity'] }))
      .where(readable(n, withOwners))
      .return(n)
      .build();
    expect(cypher).toMatchInlineSnapshot(`
      "MATCH (this0:Entity)
      WHERE (this0._blueprint IN $authReadAll OR (this0._blueprint IN keys($authReadOwned) AND EXISTS {
        MATCH (this0)-[authOwner]->(authTeam:Entity)
        WHERE (type(authOwner) = $authReadOwned[this0._blueprint] AND authTeam.identifier IN $authTeams)
      }))
      RETURN this0"
    `);
    expect(params).toEqual({ authReadAll: ['team'], authReadOwned: { service: 'OWNED_BY' }, authTeams: ['payments'] });
  });

  it('is the literal true for a caller who may read everything, so no check runs', () => {
    const n = new Cypher.Node();
    expect(new Cypher.Match(new Cypher.Pattern(n)).where(readable(n, everything)).return(n).build().cypher).toContain('WHERE true');
  });
});

describe('visiblePredicate', () => {
  it('is true for a caller who may read everything', () => {
    expect(visiblePredicate('n', everything)).toBe('true');
  });

  it('tests only the blueprint when nothing is readable through owners', () => {
    expect(visiblePredicate('n', byBlueprint)).toMatchInlineSnapshot(`"(n._blueprint IN $authReadAll)"`);
  });

  it('checks the owner relation when some blueprint is readable through owners only', () => {
    expect(visiblePredicate('b', withOwners)).toMatchInlineSnapshot(`
      "((b._blueprint IN $authReadAll OR (b._blueprint IN keys($authReadOwned) AND EXISTS {
        MATCH (b)-[authOwner]->(authTeam:Entity)
        WHERE (type(authOwner) = $authReadOwned[b._blueprint] AND authTeam.identifier IN $authTeams)
      })))"
    `);
  });
});

describe('visibleSlots', () => {
  it('fills every read-scope slot of a query with the predicate for its variable', () => {
    const q = loadQuery('impact/impact', { depth: cypherInt(5, { max: 10 }), ...visibleSlots(byBlueprint, 'root', 'b') });
    expect(q).not.toContain('$$');
    expect(q).toContain('WHERE root._blueprint = $blueprint AND (root._blueprint IN $authReadAll)');
    expect(q).toContain('(b:Entity WHERE (b._blueprint IN $authReadAll))){1,5}');
    expect(q).not.toContain('authOwner');
  });

  it('fills the same text as visiblePredicate, for every shape of scope', () => {
    for (const scope of [everything, byBlueprint, withOwners]) {
      const q = loadQuery('auth/visible-refs', visibleSlots(scope, 'n'));
      expect(q).toContain(`WHERE n._blueprint = r.blueprint AND ${visiblePredicate('n', scope)}\n`);
    }
  });

  it('pins the filled text of a fixed query whose scope checks owners', () => {
    expect(loadQuery('auth/visible-refs', visibleSlots(withOwners, 'n'))).toMatchInlineSnapshot(`
      "UNWIND $refs AS r
      MATCH (n:Entity {identifier: r.identifier}) WHERE n._blueprint = r.blueprint AND ((n._blueprint IN $authReadAll OR (n._blueprint IN keys($authReadOwned) AND EXISTS {
        MATCH (n)-[authOwner]->(authTeam:Entity)
        WHERE (type(authOwner) = $authReadOwned[n._blueprint] AND authTeam.identifier IN $authTeams)
      })))
      RETURN r.blueprint AS blueprint, r.identifier AS identifier"
    `);
  });

  it('names each slot after its variable', () => {
    expect(Object.keys(visibleSlots(everything, 'root', 'b', 'node'))).toEqual(['visibleRoot', 'visibleB', 'visibleNode']);
  });
});
