import type { Blueprint, Model } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { access, assertCanAdminister, assertCanWrite, readFilter, readScope } from './authorize.ts';
import { checkPermissions } from './permissions.ts';
import type { Principal } from './principal.ts';

const options = { ownerRelation: 'ownedBy' };
const who = (p: Partial<Principal>): Principal => ({ id: 'x', name: 'x', kind: 'user', role: 'member', teams: [], moderates: [], ...p });
const open: Blueprint = { identifier: 'service', title: 'S', schema: { properties: {} }, relations: { ownedBy: { target: 'team' } } };
const owned: Blueprint = { ...open, identifier: 'secret', permissions: { read: { roles: ['admin'], users: ['alice'], teams: ['sre'], owners: true }, update: { owners: true } } };
const model: Model = new Map([
  ['service', open],
  ['secret', owned],
]);

describe('access', () => {
  it('gives everyone read and members write by default, never viewers', () => {
    expect(access(who({ role: 'viewer' }), open, 'read', options)).toBe('all');
    expect(access(who({ role: 'viewer' }), open, 'create', options)).toBe('none');
    expect(access(who({ role: 'member' }), open, 'delete', options)).toBe('all');
  });

  it('grants by role, user, team and owning team, in that order', () => {
    expect(access(who({ role: 'admin' }), owned, 'read', options)).toBe('all');
    expect(access(who({ id: 'alice', role: 'viewer' }), owned, 'read', options)).toBe('all');
    expect(access(who({ teams: ['sre'] }), owned, 'read', options)).toBe('all');
    expect(access(who({ teams: ['payments'] }), owned, 'read', options)).toBe('owned');
    expect(access(who({}), owned, 'read', options)).toBe('none');
  });

  it('lets moderators do everything on their blueprints only', () => {
    const mod = who({ role: 'viewer', moderates: ['secret'] });
    expect(access(mod, owned, 'delete', options)).toBe('all');
    expect(access(mod, open, 'create', options)).toBe('none');
    expect(() => assertCanAdminister(mod, ['secret'], 'x')).not.toThrow();
    expect(() => assertCanAdminister(mod, ['secret', 'service'], 'x')).toThrow(/"service"/);
  });

  it('keeps a scoped token inside its blueprints, admin or not', () => {
    const scoped = who({ role: 'admin', blueprints: ['service'] });
    expect(access(scoped, open, 'update', options)).toBe('all');
    expect(access(scoped, owned, 'read', options)).toBe('none');
  });

  it('describes read filters without Cypher', () => {
    expect(readFilter(who({ teams: ['payments'] }), owned, options)).toEqual({ kind: 'owned', relation: 'ownedBy', relationType: 'OWNED_BY', teams: ['payments'] });
    expect(readScope(who({ teams: ['payments'] }), model, options)).toEqual({ unrestricted: false, all: ['service'], owned: { secret: 'OWNED_BY' }, teams: ['payments'] });
    expect(readScope(who({ role: 'admin' }), model, options).unrestricted).toBe(true);
  });
});

describe('assertCanWrite', () => {
  it('names the refused records and passes owned ones', () => {
    const p = who({ teams: ['payments'] });
    expect(() =>
      assertCanWrite(p, [{ blueprint: 'secret', identifier: 'mine', operation: 'update', owners: ['payments'], index: 0 }], model, options),
    ).not.toThrow();
    try {
      assertCanWrite(
        p,
        [
          { blueprint: 'secret', identifier: 'mine', operation: 'update', owners: ['payments'], index: 0 },
          { blueprint: 'secret', identifier: 'theirs', operation: 'update', owners: ['search'], index: 1 },
          { blueprint: 'secret', identifier: 'new', operation: 'create', owners: ['payments'], index: 2 },
        ],
        model,
        options,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as { status: number }).status).toBe(403);
      // Creating is the default grant (members): only the update of another team's entity is refused.
      expect((err as { details: { index: number }[] }).details.map((d) => d.index)).toEqual([1]);
    }
  });
});

describe('checkPermissions', () => {
  it('accepts the documented shape and explains mistakes', () => {
    expect(checkPermissions({ read: { roles: ['viewer'], owners: true }, ownerRelation: 'ownedBy' }, open)).toEqual([]);
    const problems = checkPermissions({ read: { roles: ['owner'] }, write: {}, ownerRelation: 'nope', delete: { teams: 'sre' } }, open);
    expect(problems.map((p) => p.path).sort()).toEqual(['/permissions/delete/teams', '/permissions/ownerRelation', '/permissions/read/roles', '/permissions/write']);
  });
});

describe('updates of entities the caller may not read', () => {
  it('are refused even where the update grant alone would allow them', () => {
    const readOwnersOnly: Blueprint = { ...open, identifier: 'hidden', permissions: { read: { owners: true } } };
    const m: Model = new Map([['hidden', readOwnersOnly]]);
    const p = who({ teams: ['payments'] });
    const target = (owners: string[]) => [{ blueprint: 'hidden', identifier: 'x', operation: 'update' as const, owners }];
    expect(() => assertCanWrite(p, target(['payments']), m, options)).not.toThrow();
    expect(() => assertCanWrite(p, target(['search']), m, options)).toThrow(/may not update/);
    expect(() => assertCanWrite(p, [{ blueprint: 'hidden', identifier: 'y', operation: 'create', owners: [] }], m, options)).not.toThrow();
  });
});
