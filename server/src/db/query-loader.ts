import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeName } from './cypher-names.ts';

/** Root of the repository's `cypher/` folder. */
export const cypherDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../cypher');

const cache = new Map<string, string>();

/**
 * Loads a fixed query `cypher/<area>/<name>.cypher`. Names written `$$Name$$` in the file
 * (labels, relationship types, property keys) are filled from `names` through `escapeName`;
 * `##name##` takes a checked integer from `numbers` (path quantifiers cannot be parameters);
 * values are always `$parameters`.
 * @example loadQuery('catalog/delete-entities', { Label: 'Service' })
 */
export function loadQuery(path: string, names: Record<string, string> = {}, numbers: Record<string, number> = {}): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(cypherDir, `${path}.cypher`), 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('//'))
      .join('\n')
      .trim();
    cache.set(path, text);
  }
  return text
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
