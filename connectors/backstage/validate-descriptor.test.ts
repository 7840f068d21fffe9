import { describe, expect, it } from 'vitest';
import {
  checkDescriptor,
  checkEntityRef,
  isValidNamespace,
  isValidObjectName,
} from './validate-descriptor.ts';

describe("Backstage's own descriptor rules", () => {
  it('accepts the names Backstage accepts and refuses the others', () => {
    for (const ok of ['a', 'cart-api', 'Cart_API.v2', 'x'.repeat(63)])
      expect(isValidObjectName(ok), ok).toBe(true);
    for (const bad of ['', '-cart', 'cart-', 'bad name', 'x'.repeat(64), 'caf\u00e9'])
      expect(isValidObjectName(bad), bad).toBe(false);
    expect(isValidNamespace('team-ops')).toBe(true);
    for (const bad of ['Ops', 'ops_team', 'ops-', '']) expect(isValidNamespace(bad), bad).toBe(false);
  });

  it("reports every problem of a descriptor in Backstage's words", () => {
    const problems = checkDescriptor({
      kind: 'Component',
      metadata: { name: 'cart-', namespace: 'Shop' },
      spec: { owner: 'group:a/b/c', providesApis: ['ok-api', 'not ok'] },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^"metadata\.name" is not valid; expected a string that is sequences of \[a-zA-Z0-9\] separated by any of \[-_\.\], at most 63 characters in total but found "cart-"\. To learn more/,
      ),
      expect.stringMatching(
        /^"metadata\.namespace" is not valid; expected a string that is sequences of \[a-z0-9\] separated by \[-\], at most 63 characters in total but found "Shop"/,
      ),
      'Entity reference "group:a/b/c" was not on the form [<kind>:][<namespace>/]<name>',
      expect.stringMatching(/^"spec\.providesApis\.1 name" is not valid;.* but found "not ok"/),
    ]);
    expect(
      checkDescriptor({
        kind: 'API',
        metadata: { name: 'cart-api' },
        spec: { owner: 'group:default/Team-A', system: { kind: 'System', name: 'shop' } },
      }),
    ).toEqual([]);
  });

  it('checks references as Backstage parses them', () => {
    expect(checkEntityRef('spec.owner', ':team')).toMatch(/had missing or empty kind/);
    expect(checkEntityRef('spec.owner', 'user:ops/alice')).toBeUndefined();
    expect(checkEntityRef('spec.owner', 42)).toMatch(/must be a string or an object/);
  });
});
