/**
 * Counted nouns in English, for every "1 node" / "2 nodes" the UI writes. Knows the regular
 * rules (box → boxes, library → libraries) and a few irregular words catalogs use.
 */

const irregular: Record<string, string> = {
  person: 'people',
  child: 'children',
  index: 'indexes',
  schema: 'schemas',
  datum: 'data',
};

/**
 * Plural of an English noun (the last word of a phrase is the one that changes).
 * @example pluralOf('library') // 'libraries'
 */
export function pluralOf(noun: string): string {
  const m = /^(.*?)([A-Za-z]+)$/.exec(noun);
  if (!m) return noun;
  const [, head, word] = m;
  const lower = word.toLowerCase();
  const keepCase = (p: string) => (word[0] === word[0].toUpperCase() ? p[0].toUpperCase() + p.slice(1) : p);
  if (irregular[lower]) return head + keepCase(irregular[lower]);
  if (/[^aeiou]y$/i.test(word)) return `${head}${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${head}${word}es`;
  return `${head}${word}s`;
}

/**
 * `n` and the noun, singular for exactly one; numbers in the reader's locale.
 * @example count(1, 'node') // '1 node'; count(1200, 'neighbour') // '1,200 neighbours'
 */
export function count(n: number, singular: string, plural = pluralOf(singular)): string {
  return `${n.toLocaleString()} ${n === 1 ? singular : plural}`;
}
