import { describe, expect, it } from 'vitest';
import type { Blueprint, StoredEntity } from '../../api/types.ts';
import { aboutOf, safeUrl } from './entity-about.ts';

const bp = {
  identifier: 'component',
  title: 'Component',
  schema: {
    properties: {
      lifecycle: { type: 'string' },
      repo: { type: 'string', format: 'url', title: 'Repository' },
      onCallUrl: { type: 'string', format: 'url', title: 'On-call schedule' },
      links: { type: 'object' },
      annotations: { type: 'object', title: 'Annotations' },
      labels: { type: 'object' },
    },
  },
  relations: {
    ownedBy: { title: 'Owned by', target: 'group', many: false },
    dependsOn: { title: 'Depends on', target: 'component', many: true },
  },
} as unknown as Blueprint;

const entity = (properties: Record<string, unknown>, relations: Record<string, unknown> = {}) =>
  ({
    blueprint: 'component',
    identifier: 'cart',
    properties,
    relations,
    meta: { sources: [] },
  }) as unknown as StoredEntity;

describe('aboutOf', () => {
  it('finds the owner through the owner relation and on-call through its property', () => {
    const a = aboutOf(
      bp,
      entity({ onCallUrl: 'https://pager.example/cart' }, { ownedBy: 'order-team', dependsOn: ['x'] }),
    );
    expect(a.owners).toEqual([{ relation: 'ownedBy', title: 'Owned by', targets: ['order-team'] }]);
    expect(a.onCall.map((o) => [o.title, o.value])).toEqual([
      ['On-call schedule', 'https://pager.example/cart'],
    ]);
  });

  it('lists links with their titles from url properties and a links object or list', () => {
    expect(
      aboutOf(
        bp,
        entity({ repo: 'https://git.example/cart', links: { Runbook: 'https://runbooks.example/cart' } }),
      ).links,
    ).toEqual([
      { title: 'Repository', url: 'https://git.example/cart' },
      { title: 'Runbook', url: 'https://runbooks.example/cart' },
    ]);
    expect(
      aboutOf(bp, entity({ links: [{ title: 'Dashboard', url: 'https://grafana.example/d/1' }] })).links,
    ).toEqual([{ title: 'Dashboard', url: 'https://grafana.example/d/1' }]);
  });

  it('never makes a javascript: or malformed URL a link', () => {
    expect(
      aboutOf(bp, entity({ links: { Evil: 'javascript:alert(1)', Broken: 'not a url' } })).links,
    ).toEqual([]);
    expect(safeUrl('javascript:alert(1)')).toBeNull();
  });

  it('shows annotations and labels as key/value pairs and leaves them out of the property list', () => {
    const a = aboutOf(
      bp,
      entity({
        annotations: { 'github.com/project-slug': 'acme/cart' },
        labels: { tier: 1 },
        lifecycle: 'production',
      }),
    );
    expect(a.maps).toEqual([
      { property: 'annotations', title: 'Annotations', entries: [['github.com/project-slug', 'acme/cart']] },
      { property: 'labels', title: 'labels', entries: [['tier', '1']] },
    ]);
    expect([...a.shown].sort()).toEqual(['annotations', 'labels']);
  });
});
