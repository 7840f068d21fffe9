import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeName } from './cypher-names.ts';

/*
 * Fixed queries live in `cypher/<area>/<name>.cypher`, one per file. What a file may hold besides
 * plain Cypher with `$parameters`, and nothing else (every other dynamic query is built with
 * @neo4j/cypher-builder: search rules and filters in search/rules.ts, scorecard evaluation in
 * scorecards/compile-scorecard.ts, reachability, calculated properties, the read scope):
 *   `$$include(area/name)$$`  the text of another file, a fragment shared by queries (the one include);
 *   `$$visible(x)$$`          the read scope's predicate for variable x, built by the builder
 *                             (auth/read-scope-cypher.ts `readable`) and filled by `loadScopedQuery`;
 *   `$$Name$$`                a label, relationship type or constraint name, through `escapeName`;
 *   `##name##`                a small checked integer where Cypher takes no parameter (path quantifiers).
 */

/** Root of the repository's `cypher/` folder. */
export const cypherDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../cypher');

const cache = new Map<string, string>();

/** Markers `$$include(area/name)$$`: the text of another fixed file (a shared fragment) goes there. */
const include = /\$\$include\(([a-z-]+\/[a-z0-9-]+)\)\$\$/g;

/** A file's query text without comments, with its includes filled in; cached. */
function fixedText(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(cypherDir, `${path}.cypher`), 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('//'))
      .join('\n')
      .trim()
      .replace(include, (_m, fragment: string) => fixedText(fragment));
    cache.set(path, text);
  }
  return text;
}

/**
 * Loads a fixed query `cypher/<area>/<name>.cypher`. Names written `$$Name$$` in the file
 * (labels, relationship types, property keys) are filled from `names` through `escapeName`;
 * `##name##` takes a checked integer from `numbers` (path quantifiers cannot be parameters);
 * `$$include(area/name)$$` takes the text of another file (a fragment shared by queries);
 * values are always `$parameters`.
 * @example loadQuery('catalog/delete-entities', { Label: 'Service' })
 */
export function loadQuery(path: string, names: Record<string, string> = {}, numbers: Record<string, number> = {}): string {
  return fixedText(path)
    .replace(/\$\$([A-Za-z]+)\$\$/g, (_m, key: string) => {
      const value = names[key];
      if (value === undefined) throw new Error(`query ${path} needs the name ${key}`);
      return escapeName(value);
    })
    .replace(/##([A-Za-z]+)##/g, (_m, key: string) => {
      // Only for places Cypher takes no parameter (path quantifiers); integers, checked here.
      const value = numbers[key];
      if (!Number.isSafeInteger(value) || value < 0 || value > 1000) throw new Error(`query ${path} needs a small integer ${key}`);
      return String(value);
    });
}
