import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.ts';
import { checkLimit, cursorOf, decodeCursor, parseCursor } from './pages.ts';

describe('keyset paging helpers', () => {
  it('round-trips a sort key through a cursor, whatever characters it holds', () => {
    expect(parseCursor(cursorOf('svc:ä/"x"'))).toBe('svc:ä/"x"');
    expect(parseCursor(cursorOf(['2026-11-29T10:00:00.000Z', 'id-1']), 2)).toEqual(['2026-11-29T10:00:00.000Z', 'id-1']);
  });

  it('refuses a cursor of another shape with a 400 that says what to pass', () => {
    const twoNumbers = Buffer.from('[1,2]').toString('base64url');
    expect(decodeCursor(twoNumbers, 2)).toBeNull();
    expect(decodeCursor(cursorOf('a'), 2)).toBeNull();
    expect(decodeCursor(cursorOf(['a', 'b']))).toBeNull();
    expect(decodeCursor('%%%')).toBeNull();
    expect(() => parseCursor(twoNumbers, 2)).toThrow(BadRequestError);
    expect(() => parseCursor('not-a-cursor')).toThrow('pass "next" from the previous page');
  });

  it('checks limits against the listing maximum', () => {
    expect(checkLimit(undefined, 100)).toBe(100);
    expect(checkLimit(200, 20, 200)).toBe(200);
    expect(() => checkLimit(201, 20, 200)).toThrow('limit must be an integer from 1 to 200');
    expect(() => checkLimit(0, 20)).toThrow('from 1 to 1000');
    expect(() => checkLimit(1.5, 20)).toThrow(BadRequestError);
  });
});
