import { describe, expect, it } from 'vitest';
import { kindLabel } from './kind-label.ts';

describe('kindLabel', () => {
  const all = [
    { identifier: 'service', title: 'Service' },
    { identifier: 'legacyService', title: 'service' },
    { identifier: 'team', title: 'Team' },
    { identifier: 'group', title: '' },
  ];

  it('adds the identifier when two kinds share a title', () => {
    expect(kindLabel(all[0], all)).toBe('Service (service)');
    expect(kindLabel(all[1], all)).toBe('service (legacyService)');
  });

  it('is the title alone when it is unique, the identifier when there is no title', () => {
    expect(kindLabel(all[2], all)).toBe('Team');
    expect(kindLabel(all[3], all)).toBe('group');
  });
});
