import { describe, expect, it } from 'vitest';
import { levelOf, scoreOf } from './levels.ts';

const levels = ['Basic', 'Bronze', 'Silver', 'Gold'];

describe('levelOf', () => {
  it('gives the base level when a rule of the second level fails', () => {
    expect(levelOf(levels, ['Bronze', 'Silver'], [false, true])).toBe(0);
  });

  it('stops at the first level with a failing rule even when higher levels pass', () => {
    expect(levelOf(levels, ['Bronze', 'Silver', 'Gold'], [true, false, true])).toBe(1);
  });

  it('reaches the top level when every rule passes', () => {
    expect(levelOf(levels, ['Bronze', 'Silver', 'Gold'], [true, true, true])).toBe(3);
  });

  it('reaches a level without rules once the levels below are reached', () => {
    expect(levelOf(levels, ['Bronze', 'Gold'], [true, true])).toBe(3);
  });

  it('counts a rule without an outcome (errored) as failed', () => {
    expect(levelOf(levels, ['Bronze'], [])).toBe(0);
  });
});

describe('scoreOf', () => {
  it('weighs passed rules', () => {
    expect(scoreOf([1, 3], [true, false])).toBe(0.25);
  });

  it('is 1 without rules', () => {
    expect(scoreOf([], [])).toBe(1);
  });
});
