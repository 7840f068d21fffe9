import { describe, expect, it } from 'vitest';
import { LimitExceededError, ValidationError } from './errors.ts';
import { assertNoForbiddenKeys, checkJsonShape, parseJsonText } from './http.ts';

const limits = { maxDepth: 3, maxArrayLength: 4, maxLineBytes: 100 };

describe('checkJsonShape', () => {
  it('passes documents within the depth and array limits', () => {
    expect(() => checkJsonShape('{"a":[[1,2,3,4]],"b":{}}', limits)).not.toThrow();
    expect(() => checkJsonShape('[]', limits)).not.toThrow();
    expect(() => checkJsonShape('[ ]', limits)).not.toThrow();
  });

  it('refuses nesting past the limit with 413 saying where', () => {
    const err = (() => {
      try {
        checkJsonShape('{"a":[{"b":[]}]}', limits);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as Error).message).toMatch(/deeper than 3 levels \(at character 11\)/);
  });

  it('refuses an array longer than the limit', () => {
    expect(() => checkJsonShape('[1,2,3,4,5]', limits)).toThrow(/longer than 4 elements/);
    expect(() => checkJsonShape('{"a":{"b":1,"c":2,"d":3,"e":4,"f":5}}', limits)).not.toThrow();
  });

  it('ignores brackets, commas and escaped quotes inside strings', () => {
    expect(() => checkJsonShape('["[[[[,,,,,", "a\\"[[[[", "\\\\", "]]]"]', limits)).not.toThrow();
    expect(() => checkJsonShape('["\\\\",[[[1]]]]', limits)).toThrow(/deeper/);
  });
});

describe('reserved keys', () => {
  it('names every __proto__, constructor and prototype key with its path', () => {
    const value = JSON.parse(
      '{"a":{"__proto__":{"x":1}},"list":[{"constructor":1}],"prototype":2,"ok":{"proto":1}}',
    );
    try {
      assertNoForbiddenKeys(value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).details.map((d) => d.path)).toEqual([
        '/a/__proto__',
        '/list/0/constructor',
        '/prototype',
      ]);
    }
  });

  it('parses ordinary JSON unchanged', () => {
    expect(parseJsonText('{"a":[1,{"b":"c"}]}')).toEqual({ a: [1, { b: 'c' }] });
    expect(() => parseJsonText('{"a":')).toThrow(/not valid JSON/);
  });
});
