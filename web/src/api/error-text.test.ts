import { describe, expect, it } from 'vitest';
import { ApiError } from './client.ts';
import { uiErrorText, withoutRestHints } from './error-text.ts';

describe('error text for people using the UI', () => {
  it('drops REST-only hints from conflicts and says what to do in the UI', () => {
    const text = uiErrorText(
      409,
      'conflict',
      'blueprint "svc" already exists; use PUT /api/v1/blueprints/svc to change it',
    );
    expect(text).toBe('Blueprint "svc" already exists. Open it and edit it instead of creating it again.');
    expect(text).not.toMatch(/PUT|api\/v1/);
  });

  it('keeps the facts of a message and removes only the hints', () => {
    expect(
      withoutRestHints('blueprint "svc" still has 3 entities; repeat with ?force=true to delete them too'),
    ).toBe('blueprint "svc" still has 3 entities');
    expect(withoutRestHints('action "x" does not exist; GET /api/v1/actions lists them')).toBe(
      'action "x" does not exist',
    );
    expect(withoutRestHints('plain message')).toBe('plain message');
  });

  it('answers server failures and overload in plain words', () => {
    expect(uiErrorText(500, 'internal', 'internal server error; see the server log')).toMatch(
      /^Something went wrong/,
    );
    expect(uiErrorText(429, 'too_many_requests', 'slow down')).toMatch(/busy/);
    expect(uiErrorText(403, 'forbidden', 'deleting entities of "svc" needs role admin')).toBe(
      'You do not have permission for this: deleting entities of "svc" needs role admin.',
    );
  });

  it('is what ApiError carries as its message, with the server words kept beside it', () => {
    const err = new ApiError(409, 'conflict', 'team "a" already exists; PUT /api/v1/teams/a changes it');
    expect(err.message).toBe('Team "a" already exists. Open it and edit it instead of creating it again.');
    expect(err.serverMessage).toBe('team "a" already exists; PUT /api/v1/teams/a changes it');
  });
});
