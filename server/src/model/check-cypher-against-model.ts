import { labelOf, type Model, relTypeOf } from '@plexus/contract';
import type { Db } from '../db/driver.ts';
import { explainUserCypher } from '../db/read-only-cypher.ts';

/**
 * Checks user-written Cypher (a scorecard rule, a calculated property, a saved query) for labels,
 * relationship types and properties the model does not have. The model is the reference: a
 * label may exist in the database without a blueprint (left over, or another tool's), and a
 * blueprint's label may not exist in the database yet (no entity so far). So the names are read
 * from the text itself and compared with the model; Neo4j's EXPLAIN notifications (names the
 * database has never seen) are a second signal for what the text reading cannot place, e.g. a
 * property of a variable bound by `WITH`. Names starting with `_` are Plexus's own (`_Blueprint`,
 * `_createdAt`, ...): only the database can tell whether they exist.
 */

/** Names Neo4j's EXPLAIN reported as absent from the database. */
export interface ReportedUnknown {
  labels: string[];
  relationshipTypes: string[];
  properties: string[];
}

/** A name the Cypher uses that the model does not have. */
export interface UnknownName {
  kind: 'label' | 'relationship type' | 'property';
  name: string;
  /** The closest known name of the same kind, when one is close enough to be a likely typo. */
  suggestion?: string;
  /** Where the suggestion comes from, e.g. `relation providesApis of component`. */
  suggestionSource?: string;
}

/** Properties every entity node has, whatever its blueprint (catalog/write-nodes.cypher). */
const metaProperties = ['identifier', 'title'];

interface KnownNames {
  labels: Map<string, string>;
  types: Map<string, string>;
  /** Properties by label; `*` holds every blueprint's. */
  properties: Map<string, Set<string>>;
}

/** `preferred` (the blueprint `e` stands for) names a relationship type first when several relations share it. */
function knownNamesOf(model: Model, preferred?: string): KnownNames {
  const labels = new Map<string, string>([['Entity', 'every entity']]);
  const types = new Map<string, string>();
  const all = new Set(metaProperties);
  const properties = new Map<string, Set<string>>([['*', all]]);
  const first = preferred === undefined ? undefined : model.get(preferred);
  for (const bp of first ? [first, ...[...model.values()].filter((b) => b !== first)] : model.values()) {
    const label = labelOf(bp.identifier);
    labels.set(label, `blueprint ${bp.identifier}`);
    const own = new Set(metaProperties);
    for (const name of Object.keys(bp.schema?.properties ?? {})) {
      own.add(name);
      all.add(name);
    }
    properties.set(label, own);
    for (const name of Object.keys(bp.relations ?? {})) {
      const type = relTypeOf(name);
      if (!types.has(type)) types.set(type, `relation ${name} of ${bp.identifier}`);
    }
  }
  return { labels, types, properties };
}

/** Levenshtein distance, case-insensitive (a wrong case is a likely typo). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/** The closest candidate, when it is close enough to be what was meant (about a third of the name). */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const prefix =
    best.toLowerCase().startsWith(name.toLowerCase()) || name.toLowerCase().startsWith(best.toLowerCase());
  return prefix || bestDistance <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

type Token = { kind: 'name' | 'quoted' | 'number' | 'param' | 'punct'; text: string };

/** Splits Cypher into tokens, dropping strings and comments (their contents are not names). */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < n && text[j] !== ch) j += text[j] === '\\' ? 2 : 1;
      out.push({ kind: 'punct', text: "''" });
      i = j + 1;
    } else if (ch === '`') {
      let j = i + 1;
      let name = '';
      while (j < n) {
        if (text[j] === '`' && text[j + 1] === '`') {
          name += '`';
          j += 2;
        } else if (text[j] === '`') break;
        else name += text[j++];
      }
      out.push({ kind: 'quoted', text: name });
      i = j + 1;
    } else if (ch === '$') {
      const m = /^\$(\w+|\{[^}]*\})?/.exec(text.slice(i, i + 200))!;
      out.push({ kind: 'param', text: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(ch)) {
      // "1..3" is a range: a fraction needs a digit right after the one dot.
      const num = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 100))![0];
      out.push({ kind: 'number', text: num });
      i += num.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 300))!;
      out.push({ kind: 'name', text: m[0] });
      i += m[0].length;
    } else {
      const two = text.slice(i, i + 2);
      if (['..', '::', '<-', '->', '<>', '<=', '>=', '=~'].includes(two)) {
        out.push({ kind: 'punct', text: two });
        i += 2;
      } else {
        out.push({ kind: 'punct', text: ch });
        i++;
      }
    }
  }
  return out;
}

/** What the text itself says: names used, and how variables are bound. */
interface ReadNames {
  labels: string[];
  types: string[];
  /** Property accesses: on a variable bound in a pattern (with its labels) or on `e`. */
  accesses: { variable: string; property: string }[];
  /** Keys of property maps in patterns, `(x:Label {key: ...})`. */
  patternKeys: { labels: string[]; property: string }[];
  /** Variables bound by patterns, with the labels the text gives them. */
  bound: Map<string, Set<string>>;
  /** Keys of map literals and properties read from variables bound by UNWIND/IN: not node properties. */
  localKeys: Set<string>;
}

const subqueryKeywords = new Set(['EXISTS', 'COUNT', 'COLLECT', 'CALL']);

function isName(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'name' || t.kind === 'quoted');
}

/**
 * Reads labels, relationship types and property accesses out of Cypher text. Not a parser: it
 * follows brackets to tell a node pattern `(x:Label {k: v})`, a relationship `-[r:TYPE*1..2]->`,
 * a map literal `{k: v}` and a subquery `EXISTS { ... }` apart, which is what the names need.
 */
function readNames(text: string): ReadNames {
  const tokens = tokenize(text);
  const out: ReadNames = {
    labels: [],
    types: [],
    accesses: [],
    patternKeys: [],
    bound: new Map(),
    localKeys: new Set(),
  };
  // Each open bracket: node/paren, relationship, list, map (literal or projection), pattern property map, query block.
  type Scope = {
    kind: 'paren' | 'rel' | 'list' | 'map' | 'props' | 'query';
    labels: string[];
    variable?: string;
  };
  const stack: Scope[] = [{ kind: 'query', labels: [] }];
  const localVariables = new Set<string>();
  const top = () => stack[stack.length - 1];
  const bind = (variable: string, labels: string[]) => {
    const set = out.bound.get(variable) ?? new Set<string>();
    for (const l of labels) set.add(l);
    out.bound.set(variable, set);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (t.kind === 'punct' && t.text === '(') {
      const scope: Scope = { kind: 'paren', labels: [] };
      if (
        isName(next) &&
        (tokens[i + 2]?.text === ':' || tokens[i + 2]?.text === ')' || tokens[i + 2]?.text === '{')
      ) {
        // `(x)` in an expression is a parenthesised variable; binding it is harmless.
        scope.variable = next.text;
        bind(next.text, []);
      }
      stack.push(scope);
    } else if (t.kind === 'punct' && t.text === '[') {
      const isRel = prev?.kind === 'punct' && (prev.text === '-' || prev.text === '<-');
      const scope: Scope = { kind: isRel ? 'rel' : 'list', labels: [] };
      if (isRel && isName(next) && next.text !== '') {
        scope.variable = next.text;
        bind(next.text, []);
      }
      if (
        !isRel &&
        isName(next) &&
        tokens[i + 2]?.kind === 'name' &&
        tokens[i + 2].text.toUpperCase() === 'IN'
      )
        localVariables.add(next.text);
      stack.push(scope);
    } else if (t.kind === 'punct' && t.text === '{') {
      const word = prev?.kind === 'name' ? prev.text.toUpperCase() : '';
      const s = top();
      let kind: Scope['kind'];
      if (subqueryKeywords.has(word)) kind = 'query';
      else if (
        (s.kind === 'paren' && s.variable !== undefined) ||
        s.kind === 'rel' ||
        (s.kind === 'paren' && prev?.text !== '(' && s.labels.length > 0)
      )
        kind = 'props';
      else kind = 'map';
      stack.push(kind === 'props' ? { kind, labels: s.labels, variable: s.variable } : { kind, labels: [] });
    } else if (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}')) {
      if (stack.length > 1) stack.pop();
    } else if (t.kind === 'punct' && t.text === ':') {
      const s = top();
      if (s.kind === 'map' || s.kind === 'props') {
        // A key: of a pattern's property map, a property; of a map literal, a local name.
        if (isName(prev)) {
          if (s.kind === 'props') out.patternKeys.push({ labels: s.labels, property: prev.text });
          else out.localKeys.add(prev.text);
        }
        continue;
      }
      // A label expression `:A|B`, `:A&!B`, or relationship types `:T1|T2` / `:T1|:T2`.
      let j = i + 1;
      while (j < tokens.length) {
        while (tokens[j]?.text === '!') j++;
        const name = tokens[j];
        if (!isName(name)) break;
        if (s.kind === 'rel') out.types.push(name.text);
        else {
          out.labels.push(name.text);
          s.labels.push(name.text);
          if (isName(prev) && s.kind !== 'paren') bind(prev.text, [name.text]);
          if (s.variable !== undefined) bind(s.variable, [name.text]);
        }
        j++;
        if (tokens[j]?.text === '|' || tokens[j]?.text === '&') {
          j++;
          if (tokens[j]?.text === ':') j++;
          continue;
        }
        break;
      }
      i = j - 1;
    } else if (t.kind === 'punct' && t.text === '.' && isName(next)) {
      const after = tokens[i + 2];
      if (after?.text === '(' || after?.text === '.') continue; // a function namespace, e.g. apoc.coll.sum(
      if (isName(prev) && tokens[i - 2]?.text !== '.') {
        out.accesses.push({ variable: prev.text, property: next.text });
      } else if (prev?.kind === 'punct' && (prev.text === '{' || prev.text === ',') && top().kind === 'map') {
        // A map projection `x {.name}`: the variable is the name before the brace.
        let k = i - 1;
        let depth = 0;
        for (; k >= 0; k--) {
          if (tokens[k].text === '}') depth++;
          else if (tokens[k].text === '{') {
            if (depth === 0) break;
            depth--;
          }
        }
        const variable = tokens[k - 1];
        if (isName(variable)) out.accesses.push({ variable: variable.text, property: next.text });
      }
    } else if (t.kind === 'name' && t.text.toUpperCase() === 'AS' && isName(next)) {
      // A variable bound by UNWIND ... AS x holds values, not nodes.
      let k = i - 1;
      let depth = 0;
      for (; k >= 0; k--) {
        const x = tokens[k].text;
        if (x === ')' || x === ']' || x === '}') depth++;
        else if (x === '(' || x === '[' || x === '{') depth--;
        if (depth < 0) break;
        if (depth === 0 && tokens[k].kind === 'name' && /^(UNWIND|WITH|RETURN|MATCH|WHERE)$/i.test(x)) break;
      }
      if (k >= 0 && /^UNWIND$/i.test(tokens[k].text)) localVariables.add(next.text);
    }
  }
  for (const a of out.accesses) if (localVariables.has(a.variable)) out.localKeys.add(a.property);
  out.accesses = out.accesses.filter((a) => !localVariables.has(a.variable));
  return out;
}

/**
 * The labels, relationship types and properties `cypher` uses that the model does not have.
 * `entity` is the blueprint the variable `e` stands for (scorecard rules, calculated properties);
 * `reported` is what EXPLAIN said the database lacks (explainUserCypher in db/read-only-cypher.ts).
 * @example findUnknownNames(model, 'EXISTS { (e)-[:PROVIDES_API]->() }', { entity: 'component' })
 * // [{ kind: 'relationship type', name: 'PROVIDES_API', suggestion: 'PROVIDES_APIS', ... }]
 */
export function findUnknownNames(
  model: Model,
  cypher: string,
  options: { entity?: string; reported?: ReportedUnknown } = {},
): UnknownName[] {
  const known = knownNamesOf(model, options.entity);
  const read = readNames(cypher);
  const reported = options.reported ?? { labels: [], relationshipTypes: [], properties: [] };
  const found = new Map<string, UnknownName>();
  const add = (kind: UnknownName['kind'], name: string, candidates: Map<string, string> | Set<string>) => {
    const key = `${kind}:${name}`;
    if (found.has(key)) return;
    const suggestion = closestName(name, candidates.keys());
    const source = suggestion && candidates instanceof Map ? candidates.get(suggestion) : undefined;
    found.set(key, {
      kind,
      name,
      ...(suggestion ? { suggestion } : {}),
      ...(source ? { suggestionSource: source } : {}),
    });
  };
  const internal = (name: string) => name.startsWith('_');
  for (const label of read.labels)
    if (!internal(label) && !known.labels.has(label)) add('label', label, known.labels);
  for (const label of reported.labels) if (!known.labels.has(label)) add('label', label, known.labels);
  for (const type of read.types)
    if (!internal(type) && !known.types.has(type)) add('relationship type', type, known.types);
  for (const type of reported.relationshipTypes)
    if (!known.types.has(type)) add('relationship type', type, known.types);

  const all = known.properties.get('*')!;
  /** Properties a node with these labels may have: its blueprint's, or any blueprint's when unclear. */
  const propertiesOf = (labels: Iterable<string>): Set<string> | null => {
    const list = [...labels];
    if (list.some(internal)) return null; // Plexus's own nodes: only the database knows
    const own = list.map((l) => known.properties.get(l)).filter((p): p is Set<string> => p !== undefined);
    if (own.length === 0) return all;
    return new Set(own.flatMap((p) => [...p]));
  };
  const entityLabels = options.entity !== undefined ? [labelOf(options.entity)] : [];
  for (const { variable, property } of read.accesses) {
    if (internal(property)) continue;
    const bound = read.bound.get(variable);
    const isEntity = variable === 'e' && options.entity !== undefined;
    if (!bound && !isEntity) continue; // bound by WITH or a comprehension: left to the database
    const allowed = propertiesOf([...(bound ?? []), ...(isEntity ? entityLabels : [])]);
    if (allowed && !allowed.has(property)) add('property', property, allowed);
  }
  for (const { labels, property } of read.patternKeys) {
    if (internal(property)) continue;
    const allowed = propertiesOf(labels);
    if (allowed && !allowed.has(property)) add('property', property, allowed);
  }
  for (const property of reported.properties) {
    if (all.has(property) || read.localKeys.has(property)) continue;
    add('property', property, all);
  }
  return [...found.values()];
}

/** One sentence about an unknown name, with the fix. */
export function describeUnknownName(u: UnknownName): string {
  const hint = u.suggestion
    ? `; did you mean ${u.suggestion}${u.suggestionSource ? ` (${u.suggestionSource})` : ''}?`
    : '';
  return `${u.kind} ${u.name} is not in the model${hint} (set "allowUnknown": true to keep a name the model will have later)`;
}

/**
 * The one check user Cypher gets before it is stored: read-only (db/read-only-cypher.ts) and,
 * from the same EXPLAIN, no label, relationship type or property the model lacks. `probe` is
 * the query Neo4j plans (the user's text wrapped as it will run); `text` is the user's own text,
 * the only part whose names are read; `entity` is the blueprint `e` stands for.
 */
export async function checkUserCypher(
  db: Db,
  model: Model,
  probe: string,
  options: { text: string; entity?: string; allowUnknown?: boolean; params?: Record<string, unknown> },
): Promise<{ problems: string[]; unknown: UnknownName[] }> {
  const { problems, missing } = await explainUserCypher(db, probe, options.params ?? {});
  if (problems.length > 0 || options.allowUnknown === true) return { problems, unknown: [] };
  return {
    problems,
    unknown: findUnknownNames(model, options.text, { entity: options.entity, reported: missing }),
  };
}
