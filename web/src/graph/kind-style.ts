/**
 * Colour and shape of a blueprint, the same on every page and graph. Kinds of the model are
 * given distinct colours (a hash picks each kind's preferred slot; a taken colour moves it to the
 * next free one), and once every colour is taken the shape tells kinds of one colour apart.
 * Kinds the UI has not been told about fall back to the hash alone.
 */
import { createSignal } from 'solid-js';

// Hues far enough apart to tell at a glance; similar shades (indigo/violet, red/crimson) are left out.
export const palette = [
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

/** How a kind is drawn. */
export interface KindStyle {
  color: string;
  shape: NodeShape;
}

function hash(s: string): number {
  // FNV-1a: cheap and spreads similar identifiers (service, services2) apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hashedStyle(blueprint: string): KindStyle {
  const h = hash(blueprint);
  return {
    color: palette[h % palette.length],
    shape: shapes[Math.floor(h / palette.length) % shapes.length],
  };
}

/**
 * Distinct styles for a model's kinds: the first `palette.length` kinds (in identifier order) get
 * one colour each; after that colours repeat, each time with a shape no kind of that colour has.
 * @example assignKindStyles(['component', 'group']).get('group') // differs from 'component' in colour
 */
export function assignKindStyles(identifiers: readonly string[]): Map<string, KindStyle> {
  const out = new Map<string, KindStyle>();
  const usedColours = new Set<number>();
  const usedPairs = new Set<string>();
  for (const id of [...new Set(identifiers)].sort()) {
    const h = hash(id);
    if (usedColours.size === palette.length) usedColours.clear();
    let c = h % palette.length;
    while (usedColours.has(c)) c = (c + 1) % palette.length;
    usedColours.add(c);
    let s = Math.floor(h / palette.length) % shapes.length;
    for (let tries = 0; tries < shapes.length && usedPairs.has(`${c}|${s}`); tries++)
      s = (s + 1) % shapes.length;
    usedPairs.add(`${c}|${s}`);
    out.set(id, { color: palette[c], shape: shapes[s] });
  }
  return out;
}

// The model's kinds, set once the blueprints are loaded; a signal, so dots and swatches re-colour.
const [assigned, setAssigned] = createSignal<Map<string, KindStyle>>(new Map());

/** Tells the styles which kinds the model has (the shell calls it when the blueprints load). */
export function setKnownKinds(identifiers: readonly string[]): void {
  setAssigned(assignKindStyles(identifiers));
}

/** `{color, shape}` of a blueprint. */
export function kindStyle(blueprint: string): KindStyle {
  return assigned().get(blueprint) ?? hashedStyle(blueprint);
}
