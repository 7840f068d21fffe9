import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScorecardRule } from '@plexus/contract';
import { cypherDir } from '../db/query-loader.ts';

/**
 * A starter rule from `cypher/rules/<identifier>.cypher`: a Cypher boolean expression over `e`,
 * written against the sdlc pack's labels and relationship types, with a header of `// key: value`
 * lines (title, description, blueprints it suits, suggested level).
 */
export interface LibraryRule {
  identifier: string;
  title: string;
  description: string;
  blueprints: string[];
  level: string;
  cypher: string;
}

/** Reads every rule of the library, sorted by identifier. */
export function readRuleLibrary(dir = join(cypherDir, 'rules')): LibraryRule[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cypher'))
    .sort()
    .map((file) => {
      const header: Record<string, string> = {};
      const body: string[] = [];
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const m = /^\s*\/\/\s*([a-z]+):\s*(.*)$/.exec(line);
        if (m) header[m[1]] = m[2].trim();
        else if (!line.trimStart().startsWith('//')) body.push(line);
      }
      const identifier = file.replace(/\.cypher$/, '');
      return {
        identifier,
        title: header.title ?? identifier,
        description: header.description ?? '',
        blueprints: (header.blueprints ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        level: header.level ?? 'Bronze',
        cypher: body.join('\n').trim(),
      };
    });
}

/**
 * A scorecard rule taken from the library, optionally at another level.
 * @example libraryRule(readRuleLibrary(), 'has-owner', { level: 'Silver' })
 */
export function libraryRule(
  library: readonly LibraryRule[],
  identifier: string,
  overrides: Partial<ScorecardRule> = {},
): ScorecardRule {
  const rule = library.find((r) => r.identifier === identifier);
  if (!rule) throw new Error(`no rule "${identifier}" in cypher/rules`);
  return {
    identifier: rule.identifier,
    title: rule.title,
    description: rule.description,
    level: rule.level,
    cypher: rule.cypher,
    ...overrides,
  };
}
