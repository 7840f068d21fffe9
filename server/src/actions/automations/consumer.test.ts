import type { AutomationTrigger } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { type AutomationEvent, automationPrincipal, matches } from './consumer.ts';

const event = (over: Partial<AutomationEvent>): AutomationEvent => ({
  id: 'e1',
  seq: 1,
  type: 'entity.updated',
  kind: 'entity',
  subject: 'service:api',
  blueprint: 'service',
  identifier: 'api',
  actor: 'alice',
  origin: 'api',
  runId: null,
  at: '2026-01-01T00:00:00.000Z',
  entity: 'service:api',
  ...over,
});

describe('trigger matching', () => {
  it('matches entity changes of the blueprint and type only', () => {
    const t = { type: 'entity.updated', blueprint: 'service' } as const;
    expect(matches(t, event({}), null, null)).toBe(true);
    expect(matches(t, event({ type: 'entity.created' }), null, null)).toBe(false);
    expect(matches(t, event({ blueprint: 'team' }), null, null)).toBe(false);
  });

  it('matches level changes of the scorecard (and blueprint when given)', () => {
    const e = event({ type: 'scorecard.levelChanged', kind: 'scorecard', subject: 'ready' });
    expect(matches({ type: 'scorecard.levelChanged', scorecard: 'ready' }, e, null, null)).toBe(true);
    expect(matches({ type: 'scorecard.levelChanged', scorecard: 'other' }, e, null, null)).toBe(false);
    expect(
      matches({ type: 'scorecard.levelChanged', scorecard: 'ready', blueprint: 'team' }, e, null, null),
    ).toBe(false);
  });

  it('matches a run only when its status changed, filtered by action and status', () => {
    const e = event({ type: 'run.updated', kind: 'run', subject: 'r1' });
    const t: AutomationTrigger = { type: 'run.statusChanged', action: 'deploy', status: ['FAILURE'] };
    expect(matches(t, e, { status: 'IN_PROGRESS' }, { status: 'FAILURE', action: 'deploy' })).toBe(true);
    expect(matches(t, e, { status: 'FAILURE' }, { status: 'FAILURE', action: 'deploy' })).toBe(false);
    expect(matches(t, e, { status: 'IN_PROGRESS' }, { status: 'SUCCESS', action: 'deploy' })).toBe(false);
    expect(matches(t, e, { status: 'IN_PROGRESS' }, { status: 'FAILURE', action: 'rollback' })).toBe(false);
    expect(matches({ type: 'run.statusChanged' }, e, null, { status: 'IN_PROGRESS', action: 'x' })).toBe(
      true,
    );
  });

  it('never matches property.expired from the audit trail (it is swept)', () => {
    expect(
      matches(
        { type: 'property.expired', blueprint: 'service', property: 'expiresAt' },
        event({}),
        null,
        null,
      ),
    ).toBe(false);
  });

  it('runs actions as a member service principal named after the automation', () => {
    expect(automationPrincipal('nightly')).toEqual({
      id: 'automation:nightly',
      name: 'automation:nightly',
      kind: 'service',
      role: 'member',
      teams: [],
      moderates: [],
    });
  });
});
