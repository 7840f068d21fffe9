/**
 * Turns what a person typed into a Lucene query: words only (no operators from the user),
 * each matched exactly (boosted), as a prefix, and — from four letters on — with one typo.
 * @example toLuceneQuery('cart servce') // '(cart^4 OR cart*^2) AND (servce^4 OR servce*^2 OR servce~1)'
 */
export function toLuceneQuery(text: string): string | null {
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 12);
  if (words.length === 0) return null;
  return words.map((w) => (w.length >= 4 ? `(${w}^4 OR ${w}*^2 OR ${w}~1)` : `(${w}^4 OR ${w}*^2)`)).join(' AND ');
}
