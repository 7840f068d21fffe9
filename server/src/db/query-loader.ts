import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Cypher from '@neo4j/cypher-builder';
import { escapeName } from './cypher-names.ts';
import { renderExpression } from './render-cypher.ts';

/*
 * Fixed queries live in `cypher/<area>/<name>.cypher`, one per file: plain Cypher with
 * `$parameters`, plus one marker syntax, `$$…$$`, in exactly two forms:
 *   `$$include(area/name)$$`  the text of another file, a fragment shared by queries, filled once
 *                             at load (its slots become slots of the including query);
 *   `$$slot$$`                (a lower camelCase name) text filled at call time from the typed slot
 *                             value the caller passes under that name: `cypherName` (a label,
 *                             relationship type or constraint name, through `escapeName`),
 *                             `cypherInt` (a small integer in a checked range, for the places
 *                             Cypher takes no parameter: path quantifiers) or `cypherFragment` (an
 *                             expression built with @neo4j/cypher-builder, e.g. the read scope of
 *                             auth/read-scope-cypher.ts, whose `visibleSlots` fills `$$visibleX$$`).
 * Every other dynamic query is built with @neo4j/cypher-builder: search rules and filters in
 * search/rules.ts, scorecard evaluation in scorecards/compile-scorecard.ts, reachability,
 * calculated properties. A plain string never reaches the query text: a slot takes only the
 * values the three constructors make, and a missing, unused or untyped slot is an error naming
 * the file and the slot.
 */

/** Root of the repository's `cypher/` folder. */
export const cypherDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../cypher');

type Filling =
  | { kind: 'name'; name: string }
  | { kind: 'integer'; value: number; min: number; max: number }
  | { kind: 'fragment'; expression: Cypher.Expr };

/** A typed value for a `$$slot$$`; made only by `cypherName`, `cypherInt` and `cypherFragment`. */
class Slot {
  constructor(readonly filling: Filling) {
    Object.freeze(this);
  }
}

export type { Slot as SlotValue };

/** The typed values of a query's slots, by slot name. */
export type Slots = Readonly<Record<string, Slot>>;

/**
 * A label, relationship type or constraint name for a slot, backtick-quoted by `escapeName`
 * (which refuses anything but letters, digits and underscores).
 * @example loadQuery('model/count-entities', { label: cypherName(labelOf('service')) })
 */
export function cypherName(name: string): Slot {
  return new Slot({ kind: 'name', name });
}

/**
 * A small integer for a slot where Cypher takes no parameter (path quantifiers), checked to be an
 * integer from `min` (default 0) to `max` when the query is filled.
 * @example loadQuery('impact/walk', { depth: cypherInt(3, { max: 1000 }), ...visibleSlots(scope, 'root', 'b') })
 */
export function cypherInt(value: number, range: { min?: number; max: number }): Slot {
  return new Slot({ kind: 'integer', value, min: range.min ?? 0, max: range.max });
}

/**
 * A predicate or other expression built with @neo4j/cypher-builder, for a slot. Its parameters
 * are not carried: use named parameters and pass them with the query's. The text is wrapped in
 * parentheses (unless it is a single name or literal), so it means the same wherever it lands.
 * @example cypherFragment(readable(new Cypher.NamedVariable('n'), scope))
 */
export function cypherFragment(expression: Cypher.Expr): Slot {
  return new Slot({ kind: 'fragment', expression });
}

/** A query's text cut at its slots: `parts[i]` precede `slots[i]`; the last part ends the text. */
type Template = { parts: string[]; slots: string[]; names: Set<string> };

const cache = new Map<string, string>();
const templates = new Map<string, Template>();

/** The one marker syntax: `$$include(area/name)$$` or `$$slot$$`. */
const marker = /\$\$(?:include\(([a-z-]+\/[a-z0-9-]+)\)|([a-z][A-Za-z0-9]*))\$\$/g;

/** A file's query text without comments, with its includes filled in (slots left); cached. */
function fixedText(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(cypherDir, `${path}.cypher`), 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('//'))
      .join('\n')
      .trim()
      .replace(marker, (m, fragment: string | undefined) => (fragment ? fixedText(fragment) : m));
    const stray = text.replace(marker, '').match(/\$\$|##/);
    if (stray) {
      throw new Error(`query ${path} has a stray "${stray[0]}": markers are $$include(area/name)$$ or $$slotName$$ (lower camelCase)`);
    }
    cache.set(path, text);
  }
  return text;
}

function templateOf(path: string): Template {
  let template = templates.get(path);
  if (template === undefined) {
    const text = fixedText(path);
    const parts: string[] = [];
    const slots: string[] = [];
    let at = 0;
    for (const m of text.matchAll(marker)) {
      parts.push(text.slice(at, m.index));
      slots.push(m[2] as string);
      at = m.index + m[0].length;
    }
    parts.push(text.slice(at));
    template = { parts, slots, names: new Set(slots) };
    templates.set(path, template);
  }
  return template;
}

const atom = /^[A-Za-z_$][A-Za-z0-9_$.]*$/;

function fill(path: string, slot: string, value: unknown): string {
  const where = `query ${path}, slot $$${slot}$$`;
  if (value === undefined) throw new Error(`${where} has no value: pass one (cypherName, cypherInt or cypherFragment) under "${slot}"`);
  if (!(value instanceof Slot)) {
    const got = typeof value === 'string' ? `the plain string ${JSON.stringify(value)}` : `${typeof value === 'object' ? 'an object' : `a ${typeof value}`} that no slot constructor made`;
    throw new Error(`${where} got ${got}; wrap it in cypherName, cypherInt or cypherFragment`);
  }
  const f = value.filling;
  switch (f.kind) {
    case 'name':
      try {
        return escapeName(f.name);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    case 'integer':
      if (!Number.isSafeInteger(f.value) || f.value < f.min || f.value > f.max) {
        throw new Error(`${where} needs an integer from ${f.min} to ${f.max}, got ${f.value}`);
      }
      return String(f.value);
    case 'fragment': {
      const text = renderExpression(f.expression);
      return atom.test(text) ? text : `(${text})`;
    }
  }
}

/**
 * Loads a fixed query `cypher/<area>/<name>.cypher` with its `$$include(area/name)$$` markers
 * filled (once, cached) and each `$$slot$$` filled from the typed value under its name in `slots`.
 * Throws, naming the file and the slot, on a slot with no value, a value for a slot the query
 * does not have, or a value that is not a typed slot value. Values are always `$parameters`.
 * @example loadQuery('catalog/list-identifiers', { label: cypherName(labelOf('service')) })
 */
export function loadQuery(path: string, slots: Slots = {}): string {
  const template = templateOf(path);
  for (const given of Object.keys(slots)) {
    if (!template.names.has(given)) {
      const has = template.names.size > 0 ? `its slots are ${[...template.names].join(', ')}` : 'it has no slots';
      throw new Error(`query ${path} has no slot $$${given}$$ (${has}); remove "${given}"`);
    }
  }
  let text = template.parts[0] as string;
  for (let i = 0; i < template.slots.length; i++) {
    const slot = template.slots[i] as string;
    text += fill(path, slot, slots[slot]) + template.parts[i + 1];
  }
  return text;
}
