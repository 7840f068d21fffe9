import { describe, expect, it } from 'vitest';
import { backstageFunctions, parseEntityRef } from './entity-ref.ts';

describe('Backstage entity references', () => {
  it('defaults kind and namespace from the context', () => {
    expect(parseEntityRef('payments', 'group', 'acme')).toEqual({
      kind: 'group',
      namespace: 'acme',
      name: 'payments',
    });
    expect(parseEntityRef('user:alice', 'group')).toEqual({
      kind: 'user',
      namespace: 'default',
      name: 'alice',
    });
    expect(parseEntityRef('Component:Shop/Cart', 'group', 'acme')).toEqual({
      kind: 'component',
      namespace: 'shop',
      name: 'cart',
    });
    expect(parseEntityRef({ kind: 'Group', name: 'Ops' }, 'user', 'x')).toEqual({
      kind: 'group',
      namespace: 'x',
      name: 'ops',
    });
    expect(parseEntityRef('', 'group')).toBeUndefined();
  });

  it('identifies entities of the default namespace by their bare name, others by namespace/name', () => {
    expect(backstageFunctions.entityId.fn('Payments', 'group', 'default')).toBe('payments');
    expect(backstageFunctions.entityId.fn('payments', 'group', undefined)).toBe('payments');
    expect(backstageFunctions.entityId.fn('default/payments', 'group', 'ops')).toBe('payments');
    expect(backstageFunctions.entityId.fn('payments', 'group', 'ops')).toBe('ops/payments');
  });

  it('gives identifiers and typed references, element-wise for lists', () => {
    expect(backstageFunctions.entityId.fn(['a', 'other/b'], 'api', 'ns')).toEqual(['ns/a', 'other/b']);
    expect(backstageFunctions.entityRef.fn('team-a', 'group', undefined)).toBe('group:team-a');
    expect(backstageFunctions.entityRef.fn('ops/team-a', 'group', undefined)).toBe('group:ops/team-a');
    expect(backstageFunctions.linkMap.fn([{ url: 'https://a', title: 'A' }, { url: 'https://b' }])).toEqual({
      A: 'https://a',
      'https://b': 'https://b',
    });
  });
});
