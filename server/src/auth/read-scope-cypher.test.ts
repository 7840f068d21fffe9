import { describe, expect, it } from 'vitest';
import type { ReadScope } from './authorize.ts';
import { loadScopedQuery, visiblePredicate } from './read-scope-cypher.ts';

const everything: ReadScope = { unrestricted: true, all: ['service', 'team'], owned: {}, teams: [] };
const byBlueprint: ReadScope = { unrestricted: false, all: ['service'], owned: {}, teams: ['payments'] };
const withOwners: ReadScope = { unrestricted: false, all: ['team'], owned: { service: 'OWNED_BY' }, teams: ['payments'] };

describe('visiblePredicate', () => {
  it('is true for a caller who may read everything', () => {
    expect(visiblePredicate('n', everything)).toBe('true');
  });

  it('tests only the blueprint when nothing is readable through owners', () => {
    const p = visiblePredicate('n', byBlueprint);
    expect(p).toContain('`n`._blueprint IN $authReadAll');
    expect(p).not.toContain('EXISTS');
  });

  it('checks the owner relation when some blueprint is readable through owners only', () => {
    const p = visiblePredicate('b', withOwners);
    expect(p).toContain('`b`._blueprint IN $authReadAll');
    expect(p).toMatch(/EXISTS \{ MATCH \(`b`\)-\[authOwner\]->\(authTeam:Entity\)/);
  });

  it('fills every marker of a query with the predicate for its variable', () => {
    const q = loadScopedQuery('impact/impact', byBlueprint, {}, { depth: 5 });
    expect(q).not.toContain('$$');
    expect(q).toContain('`root`._blueprint IN $authReadAll');
    expect(q).toContain('`b`._blueprint IN $authReadAll');
    expect(q).not.toContain('EXISTS { MATCH (`b`)');
  });
});
