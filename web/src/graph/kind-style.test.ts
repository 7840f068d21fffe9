import { describe, expect, it } from 'vitest';
import { assignKindStyles, kindStyle, palette, setKnownKinds, shapes } from './kind-style.ts';

describe('kind styles', () => {
  it('gives every kind its own colour while colours last', () => {
    const kinds = ['component', 'group', 'api', 'domain', 'system', 'resource', 'user', 'service', 'team'];
    const styles = assignKindStyles(kinds);
    expect(new Set(kinds.map((k) => styles.get(k)!.color)).size).toBe(kinds.length);
  });

  it('tells kinds of one colour apart by shape once colours run out', () => {
    const kinds = Array.from({ length: palette.length * 3 }, (_, i) => `kind${i}`);
    const styles = assignKindStyles(kinds);
    const pairs = kinds.map((k) => `${styles.get(k)!.color}|${styles.get(k)!.shape}`);
    expect(new Set(pairs).size).toBe(kinds.length);
    expect(kinds.every((k) => (shapes as readonly string[]).includes(styles.get(k)!.shape))).toBe(true);
  });

  it('does not depend on the order the kinds come in', () => {
    expect(assignKindStyles(['b', 'a', 'c'])).toEqual(assignKindStyles(['c', 'b', 'a']));
  });

  it('uses the assignment for known kinds and a stable hash for others', () => {
    setKnownKinds(['component', 'group']);
    expect(kindStyle('group')).toEqual(assignKindStyles(['component', 'group']).get('group'));
    expect(kindStyle('unknownKind')).toEqual(kindStyle('unknownKind'));
    setKnownKinds([]);
  });
});
