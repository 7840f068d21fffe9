import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.ts';

describe('canonicalJson', () => {
  it('gives the same text for the same content built in another key order, at any depth', () => {
    const a = { b: 1, a: [{ d: 2, c: { f: null, e: 'x' } }] };
    const b = { a: [{ c: { e: 'x', f: null }, d: 2 }], b: 1 };
    expect(canonicalJson(a)).toBe('{"a":[{"c":{"e":"x","f":null},"d":2}],"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order and leaves undefined members out', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ a: 1, gone: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});
