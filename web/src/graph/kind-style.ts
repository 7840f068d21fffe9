/**
 * Colour and shape of a blueprint, the same on every page and graph. Derived from a hash of
 * the identifier, so no shared registry is needed and a kind keeps its look across sessions.
 */

// Hues far enough apart to tell at a glance; similar shades (indigo/violet, red/crimson) are left out.
const palette = [
  '#5b5bd6',
  '#e5484d',
  '#12a594',
  '#f76b15',
  '#0090ff',
  '#d6409f',
  '#46a758',
  '#ab4aba',
  '#ffb224',
  '#00a2c7',
  '#a1795a',
  '#7c9a3a',
  '#64748b',
  '#99c93a',
];

/** Node shapes cytoscape draws; ordered so the first few are easy to tell apart. */
export const shapes = [
  'ellipse',
  'round-rectangle',
  'diamond',
  'hexagon',
  'triangle',
  'round-pentagon',
  'star',
  'barrel',
  'round-tag',
  'vee',
] as const;

export type NodeShape = (typeof shapes)[number];

function hash(s: string): number {
  // FNV-1a: cheap and spreads similar identifiers (service, services2) apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `{color, shape}` of a blueprint. */
export function kindStyle(blueprint: string): { color: string; shape: NodeShape } {
  const h = hash(blueprint);
  return {
    color: palette[h % palette.length],
    shape: shapes[Math.floor(h / palette.length) % shapes.length],
  };
}
