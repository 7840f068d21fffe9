import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.ts';
import { fieldErrorsOf, formPages } from './action-form-model.ts';

describe('formPages', () => {
  const properties = {
    a: { type: 'string' as const },
    b: { type: 'string' as const },
    c: { type: 'number' as const },
  };
  it('follows steps, putting inputs no step lists on the last page', () => {
    expect(
      formPages({
        properties,
        steps: [
          { title: 'One', properties: ['b'] },
          { title: 'Two', properties: ['a'] },
        ],
      }),
    ).toEqual([
      { title: 'One', properties: ['b'] },
      { title: 'Two', properties: ['a', 'c'] },
    ]);
  });
  it('uses order, then the rest, on one page without steps', () => {
    expect(formPages({ properties, order: ['c', 'zz'] })).toEqual([
      { title: '', properties: ['c', 'a', 'b'] },
    ]);
  });
});

describe('fieldErrorsOf', () => {
  it('puts details on the fields they name and keeps the rest', () => {
    const err = new ApiError(400, 'bad_request', 'inputs are not valid', [
      { path: 'inputs.version', message: 'is required' },
      { path: '/inputs/tags', message: 'too many' },
      { path: 'inputs.tags[1]', message: 'must be a string' },
      { path: 'inputs.nope', message: 'is not an input of this action' },
    ]);
    expect(fieldErrorsOf(err, ['version', 'tags'])).toEqual({
      fields: { version: ['is required'], tags: ['too many', 'must be a string'] },
      rest: ['inputs.nope: is not an input of this action'],
    });
  });
  it('falls back to the message when no detail is given', () => {
    expect(fieldErrorsOf(new ApiError(403, 'forbidden', 'you may not run this'), ['a'])).toEqual({
      fields: {},
      rest: ['You do not have permission for this: you may not run this.'],
    });
  });
});
