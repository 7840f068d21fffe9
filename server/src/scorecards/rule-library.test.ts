import { describe, expect, it } from 'vitest';
import { readRuleLibrary } from './rule-library.ts';
import { scanRuleText, writeKeywords } from './rule-text.ts';

describe('the rule library in cypher/rules', () => {
  const library = readRuleLibrary();

  it('has the starter rules', () => {
    expect(library.map((r) => r.identifier)).toEqual(
      expect.arrayContaining([
        'has-owner',
        'has-on-call',
        'no-critical-vulnerabilities',
        'deployed-recently',
        'has-runbook',
        'api-has-definition',
        'no-deprecated-dependencies',
      ]),
    );
  });

  it('gives every rule a title, a level and the blueprints it suits', () => {
    for (const r of library) {
      expect(r.title, r.identifier).not.toBe(r.identifier);
      expect(['Bronze', 'Silver', 'Gold'], r.identifier).toContain(r.level);
      expect(r.blueprints.length, r.identifier).toBeGreaterThan(0);
    }
  });

  it('holds only expressions that pass the structural checks and do not write', () => {
    for (const r of library) {
      const scanned = scanRuleText(r.cypher);
      expect(scanned.problems, r.identifier).toEqual([]);
      expect(writeKeywords(scanned.code), r.identifier).toEqual([]);
    }
  });
});
